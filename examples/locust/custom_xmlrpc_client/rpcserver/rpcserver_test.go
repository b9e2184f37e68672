package rpcserver

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseCall: what the clients send, and documents that are refused.
func TestParseCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want Call
		err  string
	}{
		{`<?xml version="1.0"?><methodCall><methodName>get_time</methodName></methodCall>`, Call{Method: "get_time"}, ""},
		{`<methodCall><methodName>get_time</methodName><params></params></methodCall>`, Call{Method: "get_time"}, ""},
		{`<methodCall><methodName>get_random_number</methodName><params><param><value><int>0</int></value></param><param><value><i4>100</i4></value></param></params></methodCall>`,
			Call{Method: "get_random_number", Params: []Value{{"int", "0"}, {"i4", "100"}}}, ""},
		{`<methodCall><methodName>m</methodName><params><param><value>plain</value></param><param><value><double>1.5</double></value></param></params></methodCall>`,
			Call{Method: "m", Params: []Value{{"string", "plain"}, {"double", "1.5"}}}, ""},
		{`<methodCall><methodName>m</methodName><params><param><value><array><data/></array></value></param></params></methodCall>`, Call{}, "not supported"},
		{`<methodCall><params/></methodCall>`, Call{}, "without a methodName"},
		{`<methodResponse/>`, Call{}, "not a methodCall"},
		{`<methodCall><methodName>m</methodName>`, Call{}, "not a methodCall"},
	}
	for _, tt := range tests {
		got, err := ParseCall([]byte(tt.doc))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want an error with %q", tt.doc, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, %v; want %+v", tt.doc, got, err, tt.want)
		}
	}
}

// TestAnswer: results and server.py's faults.
func TestAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		call Call
		want string
	}{
		{Call{Method: "get_random_number", Params: []Value{{"int", "5"}, {"int", "5"}}}, "<int>5</int>"},
		{Call{Method: "get_time"}, "<double>"},
		{Call{Method: "get_time", Params: []Value{{"int", "1"}}}, "takes 0 positional arguments but 1 were given"},
		{Call{Method: "get_random_number", Params: []Value{{"int", "5"}}}, "takes 2 positional arguments but 1 were given"},
		{Call{Method: "get_random_number", Params: []Value{{"string", "a"}, {"int", "5"}}}, "&#39;string&#39; object cannot be interpreted as an integer"},
		{Call{Method: "get_random_number", Params: []Value{{"int", "9"}, {"int", "5"}}}, "empty range"},
		{Call{Method: "x<y"}, "<fault>"},
		{Call{Method: "x<y"}, `method &#34;x&lt;y&#34; is not supported`},
	}
	for _, tt := range tests {
		if got := answer(tt.call); !strings.Contains(got, tt.want) {
			t.Errorf("%+v: %s, want %q in it", tt.call, got, tt.want)
		}
	}
}

// FuzzParseCall: any document is parsed or refused, never a panic, and a
// parsed call is answered.
func FuzzParseCall(f *testing.F) {
	f.Add([]byte(`<methodCall><methodName>get_random_number</methodName><params><param><value><int>0</int></value></param><param><value><int>100</int></value></param></params></methodCall>`))
	f.Add([]byte(`<methodCall><methodName>get_time</methodName></methodCall>`))
	f.Add([]byte(`<methodCall><methodName>m</methodName><params><param><value><struct></struct></value></param></params></methodCall>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := ParseCall(doc)
		if err != nil {
			return
		}
		if c.Method == "" {
			t.Fatalf("parsed a call without a method: %q", doc)
		}
		if a := answer(c); !strings.HasPrefix(a, `<?xml version="1.0"?><methodResponse>`) {
			t.Fatalf("answer %q", a)
		}
	})
}

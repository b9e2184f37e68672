// Package rpcserver is the XML-RPC service of Locust's
// custom_xmlrpc_client/server.py in Go: get_time and
// get_random_number(low, high), each after a random pause, over HTTP POST,
// with Python's SimpleXMLRPCServer faults for an unknown method or bad
// parameters. It reads what the XML-RPC clients send (scalar parameters),
// not the whole XML-RPC grammar.
package rpcserver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds a call's XML.
const maxBody = 64 << 10

// Handler serves the service; each call pauses a random time below
// maxPause first (server.py: time.sleep(random.random()), 1 s), or until
// the client goes away.
func Handler(maxPause time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "XML-RPC takes POST", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		call, err := ParseCall(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if maxPause > 0 {
			t := time.NewTimer(rand.N(maxPause))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, answer(call))
	})
}

// Call is a parsed methodCall.
type Call struct {
	Method string
	Params []Value
}

// Value is a scalar parameter: its type tag (int, i4, double, string,
// boolean; "string" for an untyped value) and its text.
type Value struct {
	Type, Text string
}

// ParseCall reads a methodCall document: its method name and scalar
// parameters. Arrays and structs are refused.
func ParseCall(doc []byte) (Call, error) {
	var raw struct {
		XMLName xml.Name `xml:"methodCall"`
		Method  string   `xml:"methodName"`
		Params  []struct {
			Value struct {
				Inner []byte `xml:",innerxml"`
			} `xml:"value"`
		} `xml:"params>param"`
	}
	if err := xml.Unmarshal(doc, &raw); err != nil {
		return Call{}, fmt.Errorf("not a methodCall: %w", err)
	}
	c := Call{Method: strings.TrimSpace(raw.Method)}
	if c.Method == "" {
		return Call{}, errors.New("methodCall without a methodName")
	}
	for i, p := range raw.Params {
		v, err := parseValue(p.Value.Inner)
		if err != nil {
			return Call{}, fmt.Errorf("param %d: %w", i+1, err)
		}
		c.Params = append(c.Params, v)
	}
	return c, nil
}

// parseValue reads a <value>'s content: one typed element, or text.
func parseValue(inner []byte) (Value, error) {
	dec := xml.NewDecoder(bytes.NewReader(inner))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return Value{Type: "string", Text: text.String()}, nil
		}
		if err != nil {
			return Value{}, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			var s string
			if err := dec.DecodeElement(&s, &t); err != nil {
				return Value{}, fmt.Errorf("<%s>: %w", t.Name.Local, err)
			}
			switch t.Name.Local {
			case "int", "i4", "double", "string", "boolean":
				return Value{Type: t.Name.Local, Text: s}, nil
			}
			return Value{}, fmt.Errorf("<%s> values are not supported", t.Name.Local)
		}
	}
}

// answer is the methodResponse to c: a result or a fault.
func answer(c Call) string {
	switch c.Method {
	case "get_time":
		if len(c.Params) != 0 {
			return fault(fmt.Sprintf("<class 'TypeError'>:get_time() takes 0 positional arguments but %d were given", len(c.Params)))
		}
		now := float64(time.Now().UnixNano()) / 1e9
		return result("<double>" + strconv.FormatFloat(now, 'f', -1, 64) + "</double>")
	case "get_random_number":
		if len(c.Params) != 2 {
			return fault(fmt.Sprintf("<class 'TypeError'>:get_random_number() takes 2 positional arguments but %d were given", len(c.Params)))
		}
		low, err1 := intParam(c.Params[0])
		high, err2 := intParam(c.Params[1])
		if err := errors.Join(err1, err2); err != nil {
			return fault("<class 'TypeError'>:" + err.Error())
		}
		if high < low {
			return fault(fmt.Sprintf("<class 'ValueError'>:empty range for randrange() (%d, %d, %d)", low, high+1, high+1-low))
		}
		return result("<int>" + strconv.FormatInt(low+rand.Int64N(high-low+1), 10) + "</int>")
	}
	return fault(fmt.Sprintf("<class 'Exception'>:method %q is not supported", c.Method))
}

// intParam is v as an integer (Python's randint wants ints).
func intParam(v Value) (int64, error) {
	if v.Type != "int" && v.Type != "i4" {
		return 0, fmt.Errorf("'%s' object cannot be interpreted as an integer", v.Type)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64)
	if err != nil || n < -1<<61 || n > 1<<61 {
		return 0, fmt.Errorf("bad integer %q", v.Text)
	}
	return n, nil
}

func result(value string) string {
	return `<?xml version="1.0"?><methodResponse><params><param><value>` + value + `</value></param></params></methodResponse>`
}

// fault is SimpleXMLRPCServer's fault for an exception: code 1.
func fault(msg string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(msg))
	return `<?xml version="1.0"?><methodResponse><fault><value><struct>` +
		`<member><name>faultCode</name><value><int>1</int></value></member>` +
		`<member><name>faultString</name><value><string>` + b.String() + `</string></value></member>` +
		`</struct></value></fault></methodResponse>`
}

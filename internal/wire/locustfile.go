package wire

import "github.com/vmihailenco/msgpack/v5"

// LocustfileRequest is a locustfile message from a worker started with
// "-f -" (since 2.23), sent from a temporary identity.
type LocustfileRequest struct {
	// Version is the worker's version (since 2.31); nil for 2.23–2.30,
	// whose request data is nil.
	Version *string
}

// MessageType returns TypeLocustfile.
func (LocustfileRequest) MessageType() string { return TypeLocustfile }

// MarshalData encodes {"version": v}, or nil when Version is nil.
func (q LocustfileRequest) MarshalData() (msgpack.RawMessage, error) {
	if q.Version == nil {
		return nilData, nil
	}
	w := newWriter()
	w.mapLen(1)
	w.str("version")
	w.str(*q.Version)
	return w.raw()
}

// DecodeLocustfileRequest decodes a request: nil or {"version": str}.
func DecodeLocustfileRequest(data msgpack.RawMessage) (LocustfileRequest, error) {
	r, err := newReader(data)
	if err != nil {
		return LocustfileRequest{}, err
	}
	if isNil, err := r.isNil("locustfile"); err != nil || isNil {
		return LocustfileRequest{}, err
	}
	var q LocustfileRequest
	err = r.fields("locustfile", func(key string) error {
		if key != "version" {
			return r.skip(keyPath("locustfile", key))
		}
		v, err := r.str("locustfile.version")
		q.Version = &v
		return err
	})
	return q, err
}

// isLocustfileRequest reports whether locustfile data looks like a request
// (nil or a map with "version") rather than a reply.
func isLocustfileRequest(data msgpack.RawMessage) bool {
	if len(data) == 0 || data[0] == 0xc0 {
		return true
	}
	q, err := DecodeLocustfileRequest(data)
	return err == nil && q.Version != nil
}

// LocustfileSource is one file of a locustfile reply: either a file with
// its contents or, since 2.31, a URL the worker downloads.
type LocustfileSource struct {
	// Filename is the file's base name (empty for a URL).
	Filename string
	// Contents is the file's text (empty for a URL).
	Contents string
	// URL is an http(s) URL instead of a file.
	URL string
}

// LocustfileReply is a master's answer to a LocustfileRequest.
type LocustfileReply struct {
	// Files are the locustfiles (2.31+: "locustfiles"; 2.23–2.30: one file
	// as "filename"/"contents", see Legacy).
	Files []LocustfileSource
	// Error is set instead of Files when the master cannot serve them.
	Error string
	// Legacy selects the 2.23–2.30 form {"filename", "contents"} (one file).
	Legacy bool
}

// MessageType returns TypeLocustfile.
func (LocustfileReply) MessageType() string { return TypeLocustfile }

// MarshalData encodes {"error"} when Error is set, else the legacy or the
// 2.31+ form.
func (p LocustfileReply) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	switch {
	case p.Error != "":
		w.mapLen(1)
		w.str("error")
		w.str(p.Error)
	case p.Legacy:
		if len(p.Files) != 1 {
			return nil, invalidf("locustfile: the legacy reply carries exactly one file")
		}
		w.mapLen(2)
		w.str("filename")
		w.str(p.Files[0].Filename)
		w.str("contents")
		w.str(p.Files[0].Contents)
	default:
		w.mapLen(1)
		w.str("locustfiles")
		w.arrayLen(len(p.Files))
		for _, f := range p.Files {
			if f.URL != "" {
				w.str(f.URL)
				continue
			}
			w.mapLen(2)
			w.str("filename")
			w.str(f.Filename)
			w.str("contents")
			w.str(f.Contents)
		}
	}
	return w.raw()
}

// DecodeLocustfileReply decodes a reply in any of its three forms.
func DecodeLocustfileReply(data msgpack.RawMessage) (LocustfileReply, error) {
	r, err := newReader(data)
	if err != nil {
		return LocustfileReply{}, err
	}
	var p LocustfileReply
	var legacy LocustfileSource
	var seen keySet
	err = r.fields("locustfile", func(key string) error {
		var err error
		switch key {
		case "error":
			p.Error, err = r.str("locustfile.error")
		case "filename":
			legacy.Filename, err = r.str("locustfile.filename")
		case "contents":
			legacy.Contents, err = r.str("locustfile.contents")
		case "locustfiles":
			p.Files, err = r.locustfiles("locustfile.locustfiles")
		default:
			return r.skip(keyPath("locustfile", key))
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return LocustfileReply{}, err
	}
	switch {
	case seen.has("error"), seen.has("locustfiles"):
	case seen.has("filename", "contents"):
		p.Legacy = true
		p.Files = []LocustfileSource{legacy}
	default:
		return LocustfileReply{}, invalidf("locustfile: want error, locustfiles or filename and contents")
	}
	return p, nil
}

// locustfiles decodes the 2.31+ list of files and URLs.
func (r *reader) locustfiles(path string) ([]LocustfileSource, error) {
	n, err := r.arrayLen(path)
	if err != nil {
		return nil, err
	}
	out := make([]LocustfileSource, 0, n)
	for range n {
		c, err := r.peek(path)
		if err != nil {
			return nil, err
		}
		var f LocustfileSource
		if kindOf(c) == "str" {
			f.URL, err = r.str(path + "[]")
		} else {
			err = r.fields(path+"[]", func(key string) error {
				var err error
				switch key {
				case "filename":
					f.Filename, err = r.str(path + "[].filename")
				case "contents":
					f.Contents, err = r.str(path + "[].contents")
				default:
					err = r.skip(keyPath(path+"[]", key))
				}
				return err
			})
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

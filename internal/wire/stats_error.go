package wire

// StatsError is one entry of a stats report's error table.
type StatsError struct {
	// Name is the request name.
	Name string
	// Method is the request type.
	Method string
	// Error is the error text (Python repr() of the exception in Locust).
	Error string
	// Occurrences counts the error since the previous report.
	Occurrences int
	// FirstSeen is the epoch time of the first occurrence (since 2.44).
	FirstSeen *float64
	// LastSeen is the epoch time of the last occurrence (since 2.44).
	LastSeen *float64
}

// write encodes e: the four 2.12.1 keys, plus first_seen and last_seen
// when either is set (the 2.44+ shape).
func (e StatsError) write(w *writer) {
	withSeen := e.FirstSeen != nil || e.LastSeen != nil
	if withSeen {
		w.mapLen(6)
	} else {
		w.mapLen(4)
	}
	w.str("name")
	w.str(e.Name)
	w.str("method")
	w.str(e.Method)
	w.str("error")
	w.str(e.Error)
	w.str("occurrences")
	w.int(int64(e.Occurrences))
	if withSeen {
		w.str("first_seen")
		w.floatOrNil(e.FirstSeen)
		w.str("last_seen")
		w.floatOrNil(e.LastSeen)
	}
}

// statsError decodes one error entry; name, method, error and occurrences
// are required (Locust's unserialize reads them), unknown keys ignored.
func (r *reader) statsError(path string) (StatsError, error) {
	var e StatsError
	var seen keySet
	err := r.fields(path, func(key string) error {
		p := keyPath(path, key)
		var err error
		switch key {
		case "name":
			e.Name, err = r.str(p)
		case "method":
			e.Method, err = r.str(p)
		case "error":
			e.Error, err = r.str(p)
		case "occurrences":
			e.Occurrences, err = r.int(p)
		case "first_seen":
			e.FirstSeen, err = r.floatOrNil(p)
		case "last_seen":
			e.LastSeen, err = r.floatOrNil(p)
		default:
			return r.skip(p)
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return StatsError{}, err
	}
	if !seen.has("name", "method", "error", "occurrences") {
		return StatsError{}, invalidf("%s: want name, method, error and occurrences", path)
	}
	return e, nil
}

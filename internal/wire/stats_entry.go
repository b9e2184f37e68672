package wire

// StatsEntry is one serialised Locust StatsEntry: the delta of one
// (name, method) since the previous report, or the worker's total
// ("Aggregated") (locust-wire.md 4.3). All 14 keys are always encoded.
type StatsEntry struct {
	// Name is the request name; "Aggregated" for the total.
	Name string
	// Method is the request type; "" for the total, and nil in 2.12.1
	// totals sent before the worker's first spawn.
	Method *string
	// LastRequestTimestamp is the epoch time of the last request, nil if none.
	LastRequestTimestamp *float64
	// StartTime is the epoch time when the entry was (re)set.
	StartTime float64
	// NumRequests counts requests, failed ones included.
	NumRequests int
	// NumNoneRequests counts requests logged without a response time.
	NumNoneRequests int
	// NumFailures counts failed requests.
	NumFailures int
	// TotalResponseTime is the sum of response times in ms (int or float).
	TotalResponseTime Number
	// MaxResponseTime is the largest response time in ms; 0 if none.
	MaxResponseTime Number
	// MinResponseTime is the smallest response time in ms; nil if none.
	MinResponseTime *Number
	// TotalContentLength is the sum of response sizes in bytes.
	TotalContentLength int64
	// ResponseTimes is the histogram of rounded response times (see
	// RoundResponseTime) in wire order. Keys may be ints or, from 2.12.1
	// workers, floats (150.0). On decode, as in Python, a key equal to an
	// earlier one (150 and 150.0) replaces that bucket's count.
	ResponseTimes []ResponseTimeCount
	// NumReqsPerSec counts requests per epoch second, in wire order.
	NumReqsPerSec []SecondCount
	// NumFailPerSec counts failures per epoch second, in wire order.
	NumFailPerSec []SecondCount
}

// ResponseTimeCount is one bucket of StatsEntry.ResponseTimes.
type ResponseTimeCount struct {
	// ResponseTime is the rounded response time in ms.
	ResponseTime Number
	// Count is the number of requests in the bucket.
	Count int
}

// SecondCount is one entry of a per-second counter.
type SecondCount struct {
	// Second is int(epoch seconds).
	Second int64
	// Count is the number of requests or failures in that second.
	Count int
}

// write encodes e as a 14-key map in Locust's key order.
func (e StatsEntry) write(w *writer) {
	w.mapLen(14)
	w.str("name")
	w.str(e.Name)
	w.str("method")
	w.strOrNil(e.Method)
	w.str("last_request_timestamp")
	w.floatOrNil(e.LastRequestTimestamp)
	w.str("start_time")
	w.float(e.StartTime)
	w.str("num_requests")
	w.int(int64(e.NumRequests))
	w.str("num_none_requests")
	w.int(int64(e.NumNoneRequests))
	w.str("num_failures")
	w.int(int64(e.NumFailures))
	w.str("total_response_time")
	w.number(e.TotalResponseTime)
	w.str("max_response_time")
	w.number(e.MaxResponseTime)
	w.str("min_response_time")
	w.numberOrNil(e.MinResponseTime)
	w.str("total_content_length")
	w.int(e.TotalContentLength)
	w.str("response_times")
	w.mapLen(len(e.ResponseTimes))
	for _, b := range e.ResponseTimes {
		w.number(b.ResponseTime)
		w.int(int64(b.Count))
	}
	w.str("num_reqs_per_sec")
	writeSeconds(w, e.NumReqsPerSec)
	w.str("num_fail_per_sec")
	writeSeconds(w, e.NumFailPerSec)
}

// writeSeconds encodes a per-second counter as a map of int keys.
func writeSeconds(w *writer, s []SecondCount) {
	w.mapLen(len(s))
	for _, c := range s {
		w.int(c.Second)
		w.int(int64(c.Count))
	}
}

// statsEntry decodes one entry. name and method are required (the
// master's decoder requires them); missing numeric keys keep their zero
// value; unknown keys are ignored, as Locust ignores them.
func (r *reader) statsEntry(path string) (StatsEntry, error) {
	var e StatsEntry
	var hasName, hasMethod bool // the required keys (a keySet would be a map per entry)
	err := r.fields(path, func(key string) error {
		p := func() string { return keyPath(path, key) } // only for errors and nested values
		var err error
		switch key {
		case "name":
			e.Name, err = r.strAt(p)
			hasName = true
		case "method":
			e.Method, err = r.strOrNil(p())
			hasMethod = true
		case "last_request_timestamp":
			e.LastRequestTimestamp, err = r.floatOrNil(p())
		case "start_time":
			e.StartTime, err = r.float(p())
		case "num_requests":
			e.NumRequests, err = r.intAt(p)
		case "num_none_requests":
			e.NumNoneRequests, err = r.intAt(p)
		case "num_failures":
			e.NumFailures, err = r.intAt(p)
		case "total_response_time":
			e.TotalResponseTime, err = r.numberAt(p)
		case "max_response_time":
			e.MaxResponseTime, err = r.numberAt(p)
		case "min_response_time":
			e.MinResponseTime, err = r.numberOrNil(p())
		case "total_content_length":
			e.TotalContentLength, err = r.int64At(p)
		case "response_times":
			if r.skipResponseTimes {
				return r.skip(p())
			}
			e.ResponseTimes, err = r.responseTimes(p())
		case "num_reqs_per_sec":
			e.NumReqsPerSec, err = r.seconds(p())
		case "num_fail_per_sec":
			e.NumFailPerSec, err = r.seconds(p())
		default:
			return r.skip(p())
		}
		return err
	})
	if err != nil {
		return StatsEntry{}, err
	}
	if !hasName || !hasMethod {
		return StatsEntry{}, invalidf("%s: missing name or method", path)
	}
	return e, nil
}

// responseTimes decodes a {number: int} histogram in wire order.
func (r *reader) responseTimes(path string) ([]ResponseTimeCount, error) {
	n, err := r.mapLen(path)
	if err != nil {
		return nil, err
	}
	out := make([]ResponseTimeCount, 0, n)
	index := r.floatIndex(n)
	for range n {
		k, err := r.numberAt(func() string { return path + " key" })
		if err != nil {
			return nil, err
		}
		v, err := r.intAt(func() string { return keyPath(path, k.String()) })
		if err != nil {
			return nil, err
		}
		// Python: 150 and 150.0 are one dict key; the first key stays, the
		// last value wins.
		if i, dup := index[k.Float64()]; dup {
			out[i].Count = v
			continue
		}
		index[k.Float64()] = len(out)
		out = append(out, ResponseTimeCount{ResponseTime: k, Count: v})
	}
	return out, nil
}

// seconds decodes an {int: int} per-second counter in wire order.
func (r *reader) seconds(path string) ([]SecondCount, error) {
	n, err := r.mapLen(path)
	if err != nil {
		return nil, err
	}
	out := make([]SecondCount, 0, n)
	index := r.intIndex(n)
	for range n {
		k, err := r.int64At(func() string { return path + " key" })
		if err != nil {
			return nil, err
		}
		v, err := r.intAt(func() string { return path + " value" })
		if err != nil {
			return nil, err
		}
		if i, dup := index[k]; dup {
			out[i].Count = v
			continue
		}
		index[k] = len(out)
		out = append(out, SecondCount{Second: k, Count: v})
	}
	return out, nil
}

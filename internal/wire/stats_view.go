package wire

// StatsReportView is a stats report decoded for a master that merges
// thousands of them: its strings and raw values are views of the data it
// was decoded from (valid while that data is), and its slices are reused
// by the next Decode, so that steady reporting decodes without allocating.
// It accepts and rejects what DecodeStatsReport does and holds the same
// values; where a map repeats a key, the later value wins, in the place
// of the first, as in a Python dict.
type StatsReportView struct {
	Stats []StatsEntryView
	Total StatsEntryView
	// Errors is the error table in wire order, without its keys.
	Errors []StatsErrorView
	// UserClasses is user_classes_count in wire order.
	UserClasses []CountView
	UserCount   int
	// Extra holds the keys that are not Locust's, in wire order.
	Extra []FieldView
	// ResponseTimesSkipped is set when the report has the key that Decode
	// was told makes response_times redundant: they are left undecoded.
	ResponseTimesSkipped bool

	rt         []ResponseTimeCount // every entry's response_times, one after the other
	rtIndex    map[float64]int     // the keys of one response_times map
	top, inner keyIndex            // repeated keys: of the report, of one of its maps
}

// StatsEntryView is a StatsEntry as a view (see StatsReportView).
type StatsEntryView struct {
	Name, Method []byte
	// MethodNil is set when the method is nil (2.12.1 totals).
	MethodNil bool
	// HasLastRequest tells a LastRequestTimestamp from nil on the wire.
	HasLastRequest       bool
	LastRequestTimestamp float64
	StartTime            float64
	NumRequests          int
	NumNoneRequests      int
	NumFailures          int
	TotalResponseTime    Number
	MaxResponseTime      Number
	// HasMin tells a MinResponseTime from nil on the wire.
	HasMin             bool
	MinResponseTime    Number
	TotalContentLength int64
	// ResponseTimes is as in StatsEntry; nil when skipped.
	ResponseTimes []ResponseTimeCount

	rtRaw        []byte // response_times, decoded once the report is known to want them
	rtLo, rtHigh int    // their place in StatsReportView.rt
}

// StatsErrorView is a StatsError as a view.
type StatsErrorView struct {
	Name, Method, Error []byte
	Occurrences         int

	key []byte // its key in the error table
}

// CountView is one key of a count map, such as user_classes_count.
type CountView struct {
	Name  []byte
	Count int
}

// FieldView is one key of a map and its value's encoding, both views.
type FieldView struct {
	Key, Value []byte
}

// Decode decodes stats data into v, replacing what v held. When the report
// has the top-level key skip (a reader with exact histograms of its own
// under that key, see DecodeStatsReportExact), the entries' response_times
// are not decoded.
func (v *StatsReportView) Decode(data []byte, skip string) error {
	if err := validateObject(data, DefaultMaxDepth); err != nil {
		return err
	}
	v.Stats, v.Errors, v.UserClasses, v.Extra, v.rt = v.Stats[:0], v.Errors[:0], v.UserClasses[:0], v.Extra[:0], v.rt[:0]
	v.Total, v.UserCount, v.ResponseTimesSkipped = StatsEntryView{}, 0, false
	v.top.reset()
	c := &cursor{b: data}
	n, err := c.mapLen()
	if err != nil {
		return invalidf("stats: %v", err)
	}
	var hasStats, hasTotal bool
	for range n {
		key, err := c.str()
		if err != nil {
			return invalidf("stats key: %v", err)
		}
		switch string(key) {
		case "stats":
			err, hasStats = v.entries(c), true
		case "stats_total":
			err, hasTotal = v.Total.decode(c, "stats.stats_total"), true
		case "errors":
			err = v.errors(c)
		case "user_classes_count":
			err = v.userClasses(c)
		case "user_count":
			if v.UserCount, err = c.int(); err != nil {
				err = invalidf("stats.user_count: %v", err)
			}
		default:
			var raw []byte
			if raw, err = c.raw(); err != nil {
				return invalidf("%s: %v", keyPath("stats", string(key)), err)
			}
			f := FieldView{Key: key, Value: raw}
			if i := v.top.seen(key, len(v.Extra), func(j int) []byte { return v.Extra[j].Key }); i >= 0 {
				v.Extra[i] = f
			} else {
				v.Extra = append(v.Extra, f)
			}
			if skip != "" && string(key) == skip {
				v.ResponseTimesSkipped = true
			}
		}
		if err != nil {
			return err
		}
	}
	if !hasStats || !hasTotal {
		return invalidf("stats: missing stats or stats_total")
	}
	if v.ResponseTimesSkipped {
		return nil
	}
	// The response times, now that the report is known to want them.
	for i := range v.Stats {
		if err := v.responseTimes(&v.Stats[i], "stats.stats[].response_times"); err != nil {
			return err
		}
	}
	if err := v.responseTimes(&v.Total, "stats.stats_total.response_times"); err != nil {
		return err
	}
	for i := range v.Stats {
		v.Stats[i].pointAt(v.rt)
	}
	v.Total.pointAt(v.rt)
	return nil
}

// entries decodes the stats array into v.Stats.
func (v *StatsReportView) entries(c *cursor) error {
	n, err := c.arrayLen()
	if err != nil {
		return invalidf("stats.stats: %v", err)
	}
	v.Stats = v.Stats[:0]
	for range n {
		v.Stats = append(v.Stats, StatsEntryView{})
		if err := v.Stats[len(v.Stats)-1].decode(c, "stats.stats[]"); err != nil {
			return err
		}
	}
	return nil
}

// decode decodes one entry, replacing what e held. name and method are
// required; missing numbers stay 0; unknown keys are skipped.
func (e *StatsEntryView) decode(c *cursor, path string) error {
	*e = StatsEntryView{}
	n, err := c.mapLen()
	if err != nil {
		return invalidf("%s: %v", path, err)
	}
	var hasName, hasMethod bool
	for range n {
		key, err := c.str()
		if err != nil {
			return invalidf("%s key: %v", path, err)
		}
		var num Number
		switch string(key) {
		case "name":
			e.Name, err = c.str()
			hasName = true
		case "method":
			if e.MethodNil, err = c.isNil(); err == nil {
				e.Method = nil
				if !e.MethodNil {
					e.Method, err = c.str()
				}
			}
			hasMethod = true
		case "last_request_timestamp":
			num, e.HasLastRequest, err = c.numberOrNil()
			e.LastRequestTimestamp = num.Float64()
		case "start_time":
			num, err = c.number()
			e.StartTime = num.Float64()
		case "num_requests":
			e.NumRequests, err = c.int()
		case "num_none_requests":
			e.NumNoneRequests, err = c.int()
		case "num_failures":
			e.NumFailures, err = c.int()
		case "total_response_time":
			e.TotalResponseTime, err = c.number()
		case "max_response_time":
			e.MaxResponseTime, err = c.number()
		case "min_response_time":
			e.MinResponseTime, e.HasMin, err = c.numberOrNil()
		case "total_content_length":
			e.TotalContentLength, err = c.int64()
		case "response_times":
			e.rtRaw, err = c.raw()
		case "num_reqs_per_sec", "num_fail_per_sec":
			err = checkSeconds(c)
		default:
			err = c.skip()
		}
		if err != nil {
			return invalidf("%s: %v", keyPath(path, string(key)), err)
		}
	}
	if !hasName || !hasMethod {
		return invalidf("%s: missing name or method", path)
	}
	return nil
}

// checkSeconds checks a per-second counter, an {int: int} map; a master
// does not need its values.
func checkSeconds(c *cursor) error {
	n, err := c.mapLen()
	if err != nil {
		return err
	}
	for range n {
		if _, err := c.int64(); err != nil {
			return err
		}
		if _, err := c.int(); err != nil {
			return err
		}
	}
	return nil
}

// responseTimes decodes e's response_times, a {number: int} map, onto
// v.rt in wire order: 150 and 150.0 are one key, the first one kept with
// the last count, as in Python. pointAt gives them to e afterwards (v.rt
// may move while it grows).
func (v *StatsReportView) responseTimes(e *StatsEntryView, path string) error {
	e.rtLo, e.rtHigh = len(v.rt), len(v.rt)
	if e.rtRaw == nil {
		return nil
	}
	c := &cursor{b: e.rtRaw}
	n, err := c.mapLen()
	if err != nil {
		return invalidf("%s: %v", path, err)
	}
	if v.rtIndex == nil {
		v.rtIndex = make(map[float64]int)
	}
	clear(v.rtIndex)
	for range n {
		k, err := c.number()
		if err != nil {
			return invalidf("%s key: %v", path, err)
		}
		count, err := c.int()
		if err != nil {
			return invalidf("%s: %v", keyPath(path, k.String()), err)
		}
		if i, dup := v.rtIndex[k.Float64()]; dup {
			v.rt[i].Count = count
			continue
		}
		v.rtIndex[k.Float64()] = len(v.rt)
		v.rt = append(v.rt, ResponseTimeCount{ResponseTime: k, Count: count})
	}
	e.rtHigh = len(v.rt)
	return nil
}

// pointAt sets e.ResponseTimes from the decoded response times: nil when
// the entry had none, as DecodeStatsReport leaves it.
func (e *StatsEntryView) pointAt(rt []ResponseTimeCount) {
	if e.rtRaw != nil {
		e.ResponseTimes = rt[e.rtLo:e.rtHigh:e.rtHigh]
	}
}

// errors decodes the error table into v.Errors.
func (v *StatsReportView) errors(c *cursor) error {
	const path = "stats.errors"
	n, err := c.mapLen()
	if err != nil {
		return invalidf("%s: %v", path, err)
	}
	v.Errors = v.Errors[:0]
	v.inner.reset()
	for range n {
		key, err := c.str()
		if err != nil {
			return invalidf("%s key: %v", path, err)
		}
		e, err := decodeErrorView(c, path)
		if err != nil {
			return err
		}
		e.key = key
		if i := v.inner.seen(key, len(v.Errors), func(j int) []byte { return v.Errors[j].key }); i >= 0 {
			v.Errors[i] = e
		} else {
			v.Errors = append(v.Errors, e)
		}
	}
	return nil
}

// decodeErrorView decodes one error as statsError does: name, method,
// error and occurrences are required, first_seen and last_seen checked,
// unknown keys skipped.
func decodeErrorView(c *cursor, path string) (StatsErrorView, error) {
	var e StatsErrorView
	n, err := c.mapLen()
	if err != nil {
		return e, invalidf("%s: %v", path, err)
	}
	var has [4]bool
	for range n {
		key, err := c.str()
		if err != nil {
			return e, invalidf("%s key: %v", path, err)
		}
		switch string(key) {
		case "name":
			e.Name, err = c.str()
			has[0] = true
		case "method":
			e.Method, err = c.str()
			has[1] = true
		case "error":
			e.Error, err = c.str()
			has[2] = true
		case "occurrences":
			e.Occurrences, err = c.int()
			has[3] = true
		case "first_seen", "last_seen":
			_, _, err = c.numberOrNil()
		default:
			err = c.skip()
		}
		if err != nil {
			return e, invalidf("%s: %v", keyPath(path, string(key)), err)
		}
	}
	if has != [4]bool{true, true, true, true} {
		return e, invalidf("%s: want name, method, error and occurrences", path)
	}
	return e, nil
}

// userClasses decodes user_classes_count into v.UserClasses.
func (v *StatsReportView) userClasses(c *cursor) error {
	const path = "stats.user_classes_count"
	n, err := c.mapLen()
	if err != nil {
		return invalidf("%s: %v", path, err)
	}
	v.UserClasses = v.UserClasses[:0]
	v.inner.reset()
	for range n {
		key, err := c.str()
		if err != nil {
			return invalidf("%s key: %v", path, err)
		}
		count, err := c.int()
		if err != nil {
			return invalidf("%s: %v", keyPath(path, string(key)), err)
		}
		cv := CountView{Name: key, Count: count}
		if i := v.inner.seen(key, len(v.UserClasses), func(j int) []byte { return v.UserClasses[j].Name }); i >= 0 {
			v.UserClasses[i] = cv
		} else {
			v.UserClasses = append(v.UserClasses, cv)
		}
	}
	return nil
}

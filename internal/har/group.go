package har

import (
	"cmp"
	"slices"
	"time"
)

// page is one recorded page: a task of the program.
type page struct {
	title   string   // the page's title, else its first URL
	entries []*Entry // every request made for it, in time order
	kept    []*Entry // those replayed
}

// start and end bound a page's requests in time.
func (p *page) start() time.Time { return p.entries[0].start }

func (p *page) end() time.Time {
	var end time.Time
	for _, e := range p.entries {
		if t := e.end(); t.After(end) {
			end = t
		}
	}
	return end
}

// byTime returns the entries in the order they started (file order among
// equals).
func byTime(h *HAR) []*Entry {
	out := make([]*Entry, len(h.Log.Entries))
	for i := range h.Log.Entries {
		out[i] = &h.Log.Entries[i]
	}
	slices.SortStableFunc(out, func(a, b *Entry) int { return a.start.Compare(b.start) })
	return out
}

// group puts entries (in time order) into their pages, in the order the
// pages started. An entry without a known pageref belongs to the last page
// started before it (or the first page); a recording without pages is one
// page.
func group(h *HAR, entries []*Entry) []*page {
	pages := make([]*Page, len(h.Log.Pages))
	for i := range h.Log.Pages {
		pages[i] = &h.Log.Pages[i]
	}
	slices.SortStableFunc(pages, func(a, b *Page) int { return a.start.Compare(b.start) })
	out := make([]*page, len(pages))
	byID := make(map[string]*page, len(pages))
	for i, p := range pages {
		out[i] = &page{title: p.Title}
		if _, dup := byID[p.ID]; !dup {
			byID[p.ID] = out[i]
		}
	}
	if len(out) == 0 {
		out = []*page{{}}
	}
	for _, e := range entries {
		p := byID[e.PageRef]
		if p == nil {
			i, _ := slices.BinarySearchFunc(pages, e.start, func(p *Page, t time.Time) int {
				return cmp.Compare(p.start.UnixNano(), t.UnixNano()+1)
			})
			p = out[max(i-1, 0)]
		}
		p.entries = append(p.entries, e)
	}
	return slices.DeleteFunc(out, func(p *page) bool { return len(p.entries) == 0 })
}

// pauses are the recorded pauses after each page that is replayed: from
// the end of its last request (static ones too: the page was loading) to
// the start of the next replayed page. The last one, before the recording
// starts over, is the mean of the others, or a second without others.
// They are rounded to 10 ms.
func pauses(pages []*page) []time.Duration {
	out := make([]time.Duration, len(pages))
	var sum time.Duration
	for i := 0; i+1 < len(pages); i++ {
		d := max(pages[i+1].start().Sub(pages[i].end()), 0).Round(10 * time.Millisecond)
		out[i] = d
		sum += d
	}
	if n := len(pages) - 1; n > 0 {
		out[n] = (sum / time.Duration(n)).Round(10 * time.Millisecond)
	} else if n == 0 {
		out[0] = time.Second
	}
	return out
}

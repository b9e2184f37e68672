package shape

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/herdload/herd/internal/duration"
)

// SVG draws the shape as a width×height SVG picture: the target user count
// (dashed) and the users running when the runner follows it at each
// stage's spawn rate (solid), over the shape's whole run, with labelled
// axes on a white background so it reads in light and dark themes.
func (s Shape) SVG(width, height int) []byte {
	var target, running []point
	var start time.Duration
	users := 0.0
	running = append(running, point{0, 0})
	for _, seg := range s.segs {
		u := float64(seg.step.Users)
		target = append(target, point{start, u}, point{seg.end, u})
		if users != u {
			if reach := math.Abs(u-users) / seg.step.SpawnRate; reach < (seg.end - start).Seconds() {
				users = u
				running = append(running, point{start + time.Duration(reach*1e9), users})
			} else {
				users += math.Copysign(seg.step.SpawnRate*(seg.end-start).Seconds(), u-users)
			}
		}
		running = append(running, point{seg.end, users})
		start = seg.end
	}
	return plot(plotSpec{
		title:  s.spec,
		yLabel: "users",
		span:   s.Total(),
		stop:   true,
		series: []series{
			{target, "target users", "#e8710a", true},
			{running, "running users", "#1a73e8", false},
		},
	}, width, height)
}

// SVG draws the rate over time as a width×height SVG picture, like
// [Shape.SVG]. A constant rate is drawn over one minute.
func (r Rate) SVG(width, height int) []byte {
	var pts []point
	span := r.End()
	if r.per > 0 {
		span = time.Minute
		pts = []point{{0, r.At(0)}, {span, r.At(0)}}
	}
	for i, seg := range r.segs {
		if i == 0 {
			pts = append(pts, point{0, seg.r0})
		}
		pts = append(pts, point{seg.end, seg.r1})
	}
	return plot(plotSpec{
		title:  r.spec,
		yLabel: "iterations/s",
		span:   span,
		stop:   r.per == 0,
		series: []series{{pts, "arrival rate", "#1a73e8", false}},
	}, width, height)
}

type point struct {
	t time.Duration
	v float64
}

type series struct {
	pts    []point
	label  string
	color  string
	dashed bool
}

type plotSpec struct {
	title, yLabel string
	span          time.Duration
	stop          bool // mark the end of the span as the end of the test
	series        []series
}

// plot renders a line chart. Output is deterministic: the golden pictures
// in docs/shapes depend on it.
func plot(p plotSpec, width, height int) []byte {
	const left, right, top, bottom = 64, 24, 52, 52
	pw, ph := float64(width-left-right), float64(height-top-bottom)
	ymax := 0.0
	for _, s := range p.series {
		for _, pt := range s.pts {
			ymax = max(ymax, pt.v)
		}
	}
	ystep := niceStep(ymax*1.1, 5)
	ytop := math.Ceil(ymax*1.1/ystep) * ystep
	if ytop == 0 {
		ytop = ystep
	}
	span := max(p.span, time.Second)
	tstep := niceDuration(span, 8)
	x := func(t time.Duration) float64 { return left + pw*float64(t)/float64(span) }
	y := func(v float64) float64 { return top + ph*(1-v/ytop) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold" fill="#202124">%s</text>`+"\n", left, escape(p.title))
	// Legend.
	lx := float64(left)
	for _, s := range p.series {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="36" x2="%.1f" y2="36" stroke="%s" stroke-width="2.5"%s/>`+"\n", lx, lx+24, s.color, dash(s.dashed))
		fmt.Fprintf(&b, `<text x="%.1f" y="40" fill="#202124">%s</text>`+"\n", lx+30, escape(s.label))
		lx += 30 + 7*float64(len(s.label)) + 24
	}
	// Grid, ticks and labels.
	for v := 0.0; v <= ytop+ystep/2; v += ystep {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", left, y(v), width-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#202124">%s</text>`+"\n", left-6, y(v)+4, formatNumber(math.Round(v*1e6)/1e6))
	}
	for t := time.Duration(0); t <= span; t += tstep {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e0e0e0"/>`+"\n", x(t), top, x(t), height-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#202124">%s</text>`+"\n", x(t), height-bottom+18, duration.Format(t))
	}
	fmt.Fprintf(&b, `<path d="M%d %d V%d H%d" fill="none" stroke="#5f6368"/>`+"\n", left, top, height-bottom, width-right)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#202124">elapsed time</text>`+"\n", left+pw/2, height-12)
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle" fill="#202124">%s</text>`+"\n", top+ph/2, escape(p.yLabel))
	if p.stop {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d93025" stroke-dasharray="2 3"/>`+"\n", x(p.span), top, x(p.span), height-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="end" fill="#d93025">stop</text>`+"\n", x(p.span)-4, top+14)
	}
	// Curves.
	for _, s := range p.series {
		var d strings.Builder
		for i, pt := range s.pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(pt.t), y(pt.v))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"%s/>`+"\n", strings.TrimSpace(d.String()), s.color, dash(s.dashed))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func dash(dashed bool) string {
	if dashed {
		return ` stroke-dasharray="6 4"`
	}
	return ""
}

var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

// niceStep is a 1, 2 or 5 × 10ⁿ step giving at most about ticks steps up
// to v, and at least 1 (counts of users and iterations are whole).
func niceStep(v float64, ticks int) float64 {
	if v <= 0 {
		return 1
	}
	raw := v / float64(ticks)
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return max(m*pow, 1)
		}
	}
	return max(10*pow, 1)
}

// niceDuration is a round tick step giving at most ticks steps over span.
func niceDuration(span time.Duration, ticks int) time.Duration {
	steps := []time.Duration{
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	}
	for _, s := range steps {
		if span/s <= time.Duration(ticks) {
			return s
		}
	}
	return span / time.Duration(ticks)
}

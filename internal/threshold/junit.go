package threshold

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit XML, in the subset every CI system reads: one <testsuite> inside
// <testsuites>, one <testcase> per threshold.
type (
	junitSuites struct {
		XMLName xml.Name `xml:"testsuites"`
		Name    string   `xml:"name,attr"`
		junitCounts
		Suite junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name string `xml:"name,attr"`
		junitCounts
		Cases []junitCase `xml:"testcase"`
	}
	// junitCounts are the attributes a suite and the suites share.
	junitCounts struct {
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitMessage `xml:"failure,omitempty"`
		Skipped   *junitMessage `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes results as JUnit XML: one test suite named suiteName
// lasting duration, one test case per threshold named by its expression. A
// failed threshold has a <failure> whose message gives the observed value
// (Result.Message), a pending one (live results, e.g. of an interrupted
// run) is <skipped>. Every name and message is escaped, and characters XML
// cannot hold are replaced.
func WriteJUnit(w io.Writer, suiteName string, results []Result, duration time.Duration) error {
	secs := fmt.Sprintf("%.3f", duration.Seconds())
	s := junitSuite{Name: suiteName, junitCounts: junitCounts{Tests: len(results), Time: secs}}
	for _, r := range results {
		c := junitCase{Name: r.Expr, Classname: suiteName, Time: "0"}
		switch r.Status {
		case Fail:
			s.Failures++
			c.Failure = &junitMessage{Message: r.Message(), Type: "threshold", Text: junitDetail(r)}
		case Pending:
			s.Skipped++
			c.Skipped = &junitMessage{Message: "no data yet"}
		default:
			c.SystemOut = r.Message() + "\n"
		}
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: suiteName, junitCounts: s.junitCounts, Suite: s}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitDetail is a failure's body: the message and when it first failed.
func junitDetail(r Result) string {
	var b strings.Builder
	b.WriteString(r.Expr)
	b.WriteString("\n")
	b.WriteString(r.Message())
	b.WriteString("\n")
	if !r.FirstFailed.IsZero() {
		b.WriteString("first failed at ")
		b.WriteString(r.FirstFailed.UTC().Format(time.RFC3339))
		b.WriteString("\n")
	}
	return b.String()
}

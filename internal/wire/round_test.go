package wire

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRoundResponseTime checks values computed with Python 3.11's round()
// as Locust 2.12.1's StatsEntry._log_response_time applies it.
func TestRoundResponseTime(t *testing.T) {
	for _, c := range []struct {
		ms   float64
		want int
	}{
		{0.0, 0}, {0.4, 0}, {0.5, 0}, {1.5, 2}, {2.5, 2},
		{3.2160440000552626, 3}, {14.366096000003381, 14},
		{99.4, 99}, {99.5, 100}, {99.9, 100}, {100.0, 100},
		{104.9, 100}, {105.0, 100}, {115.0, 120}, {125.0, 120},
		{145.0, 140}, {147.3, 150}, {155.0, 160}, {994.9, 990},
		{995.0, 1000}, {985.0, 980}, {999.9, 1000}, {1000.0, 1000},
		{1050.0, 1000}, {1150.0, 1200}, {1250.0, 1200}, {3432.0, 3400},
		{9949.0, 9900}, {9950.0, 10000}, {9850.0, 9800}, {10000.0, 10000},
		{10500.0, 10000}, {11500.0, 12000}, {58760.0, 59000}, {12500.0, 12000},
		{145.00000000000003, 150}, {144.99999999999997, 140},
		{1050.0000000000002, 1100}, {10499.999999999998, 10000},
		{0.49999999999999994, 0}, {1000000000000500.0, 1000000000000000},
		{9007199254742492.0, 9007199254742000}, {1234567.5, 1235000},
	} {
		if got := RoundResponseTime(c.ms); got != c.want {
			t.Errorf("RoundResponseTime(%v) = %d, want %d", c.ms, got, c.want)
		}
	}
	for _, odd := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -0.5, -1e300, 1e300} {
		_ = RoundResponseTime(odd) // must not panic
	}
	if RoundResponseTime(math.Inf(1)) != math.MaxInt || RoundResponseTime(math.NaN()) != 0 {
		t.Error("Inf must saturate and NaN give 0")
	}
}

// TestRoundResponseTimePython compares random values, ties included, with
// the real Python round() when python3 is available.
func TestRoundResponseTimePython(t *testing.T) {
	py, err := exec.LookPath(msgpackPython)
	if err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Skip("python3 not installed")
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var values []float64
	for range 20000 {
		var v float64
		switch rng.IntN(4) {
		case 0: // ties and their neighbours
			unit := []float64{1, 10, 100, 1000}[rng.IntN(4)]
			v = (float64(rng.IntN(200)) + 0.5) * unit
			v = math.Nextafter(v, v+float64(rng.IntN(3)-1))
		case 1:
			v = rng.Float64() * 100
		case 2:
			v = rng.Float64() * 20000
		default:
			v = math.Exp(rng.Float64() * 20)
		}
		values = append(values, v)
	}
	script := `
import sys
for line in sys.stdin:
    v = float(line)
    if v < 100: r = round(v)
    elif v < 1000: r = round(v, -1)
    elif v < 10000: r = round(v, -2)
    else: r = round(v, -3)
    print(int(r))
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", script)
	var in strings.Builder
	for _, v := range values {
		in.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + "\n")
	}
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for i := 0; sc.Scan(); i++ {
		want, _ := strconv.Atoi(sc.Text())
		if got := RoundResponseTime(values[i]); got != want {
			t.Errorf("RoundResponseTime(%s) = %d, Python %d", fmt.Sprint(values[i]), got, want)
		}
	}
}

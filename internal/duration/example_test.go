package duration_test

import (
	"fmt"

	"github.com/herdload/herd/internal/duration"
)

func Example() {
	for _, s := range []string{"90s", "1h30m", "300", "1.5", "2m30"} {
		d, err := duration.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s = %s\n", s, duration.Format(d))
	}
	// Output:
	// 90s = 1m30s
	// 1h30m = 1h30m
	// 300 = 5m
	// 1.5 = 1.5s
	// "2m30" is not a duration; use a number of seconds (300) or a duration like 90s, 2m30s or 1h30m (units: h, m, s, ms)
}

package herd

import (
	"fmt"
	"io"
	"strings"

	"github.com/herdload/herd/internal/dispatch"
)

// writeTaskRatio prints how often each task runs, per user type and in
// total, as Locust's --show-task-ratio does. The user mix is the one
// dispatch gives for one full cycle of the weights.
func writeTaskRatio(w io.Writer, types []*userType, tags, exclude []string) {
	shares := typeShares(types)
	for _, total := range []bool{false, true} {
		if total {
			fmt.Fprint(w, "\n Total task ratio\n")
		} else {
			fmt.Fprint(w, "\n Task ratio per User class\n")
		}
		fmt.Fprintln(w, strings.Repeat("-", 80))
		for i, ut := range types {
			share := shares[i]
			ratioLine(w, "", share, ut.Name)
			parent := 1.0
			if total {
				parent = share
			}
			writeTaskShares(w, filterTasks(ut.New().Tasks(), tags, exclude), parent, 1)
		}
	}
}

func writeTaskShares(w io.Writer, tasks []Task, parent float64, level int) {
	sum := 0
	for _, t := range tasks {
		sum += max(t.Weight, 1)
	}
	pad := strings.Repeat("  ", level)
	for i := range tasks {
		t := &tasks[i]
		r := parent * float64(max(t.Weight, 1)) / float64(sum)
		ratioLine(w, pad, r, taskName(t))
		if t.Set != nil {
			writeTaskShares(w, t.Set.Tasks, r, level+1)
		}
	}
}

// typeShares is each type's share of the users over one dispatch cycle.
func typeShares(types []*userType) []float64 {
	dt := dispatchTypes(types)
	total := 0
	for _, t := range dt {
		total += t.Weight + t.Fixed
	}
	shares := make([]float64, len(types))
	plan, err := dispatch.New(dt)
	if err != nil {
		return shares
	}
	counts := plan.Counts(total)
	for i, c := range counts {
		shares[i] = float64(c) / float64(total)
	}
	return shares
}

// ratioLine prints one line in Locust's layout, without trailing blanks.
func ratioLine(w io.Writer, pad string, ratio float64, name string) {
	fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf(" %-10s %s", pad+fmt.Sprintf("%-6.1f", ratio*100), pad+name), " "))
}

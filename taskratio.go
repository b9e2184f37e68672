package herd

import (
	"fmt"
	"io"
	"strings"

	"github.com/herdload/herd/internal/dispatch"
	"github.com/herdload/herd/internal/report"
)

// ratioNode is one user type or task and how often it runs.
type ratioNode struct {
	name     string
	ratio    float64
	children []ratioNode
}

// ratioTree computes Locust's task ratio: each type's share of the users,
// and each task's share of its user's or its task set's runs, or (total)
// of all task runs.
func ratioTree(types []*userType, shares []float64, tags, exclude []string, total bool) []ratioNode {
	nodes := make([]ratioNode, len(types))
	for i, ut := range types {
		parent := 1.0
		if total {
			parent = shares[i]
		}
		nodes[i] = ratioNode{name: ut.Name, ratio: shares[i],
			children: taskNodes(filterTasks(ut.New().Tasks(), tags, exclude), parent, total)}
	}
	return nodes
}

// taskNodes is the ratio of each of tasks, of parent's runs; a task set's
// tasks are of the set's (total: of parent's, as Locust prints them).
func taskNodes(tasks []Task, parent float64, total bool) []ratioNode {
	sum := 0
	for _, t := range tasks {
		sum += max(t.Weight, 1)
	}
	nodes := make([]ratioNode, len(tasks))
	for i := range tasks {
		t := &tasks[i]
		r := parent * float64(max(t.Weight, 1)) / float64(sum)
		nodes[i] = ratioNode{name: taskName(t), ratio: r}
		if t.Set != nil {
			sub := 1.0
			if total {
				sub = r
			}
			nodes[i].children = taskNodes(t.Set.Tasks, sub, total)
		}
	}
	return nodes
}

// writeTaskRatio prints the task ratio as Locust's --show-task-ratio does,
// for the user mix of one full cycle of the weights.
func writeTaskRatio(w io.Writer, types []*userType, tags, exclude []string) {
	shares := typeShares(types, nil)
	fmt.Fprint(w, "\n Task ratio per User class\n")
	fmt.Fprintln(w, strings.Repeat("-", 80))
	writeRatioNodes(w, ratioTree(types, shares, tags, exclude, false), 0)
	fmt.Fprint(w, "\n Total task ratio\n")
	fmt.Fprintln(w, strings.Repeat("-", 80))
	writeRatioNodes(w, ratioTree(types, shares, tags, exclude, true), 0)
}

func writeRatioNodes(w io.Writer, nodes []ratioNode, level int) {
	pad := strings.Repeat("  ", level)
	for _, n := range nodes {
		line := fmt.Sprintf(" %-10s %s", pad+fmt.Sprintf("%-6.1f", n.ratio*100), pad+n.name)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		writeRatioNodes(w, n.children, level+1)
	}
}

// taskRatio is the task ratio for the web UI's /tasks: of the users
// running (counts), or of one weight cycle before any run.
func taskRatio(types []*userType, counts map[string]int, tags, exclude []string) report.TaskRatio {
	shares := typeShares(types, counts)
	return report.TaskRatio{
		PerClass: ratioMap(ratioTree(types, shares, tags, exclude, false)),
		Total:    ratioMap(ratioTree(types, shares, tags, exclude, true)),
	}
}

func ratioMap(nodes []ratioNode) map[string]report.ClassRatio {
	m := make(map[string]report.ClassRatio, len(nodes))
	for _, n := range nodes {
		cr := m[n.name]
		cr.Ratio += n.ratio
		if len(n.children) > 0 {
			cr.Tasks = ratioMap(n.children)
		}
		m[n.name] = cr
	}
	return m
}

// typeShares is each type's share of the users: of counts when users run,
// else of one full cycle of the weights.
func typeShares(types []*userType, counts map[string]int) []float64 {
	shares := make([]float64, len(types))
	sum := 0
	for _, n := range counts {
		sum += n
	}
	if sum > 0 {
		for i, ut := range types {
			shares[i] = float64(counts[ut.Name]) / float64(sum)
		}
		return shares
	}
	dt := dispatchTypes(types)
	total := 0
	for _, t := range dt {
		total += t.Weight + t.Fixed
	}
	plan, err := dispatch.New(dt)
	if err != nil {
		return shares
	}
	for i, n := range plan.Counts(total) {
		shares[i] = float64(n) / float64(total)
	}
	return shares
}

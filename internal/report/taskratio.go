package report

// TaskRatio is Locust's /tasks document: how often each user class and
// each of its tasks runs, per class and in total.
type TaskRatio struct {
	PerClass map[string]ClassRatio `json:"per_class"`
	Total    map[string]ClassRatio `json:"total"`
}

// ClassRatio is the share of one user class (or task) and of its tasks.
type ClassRatio struct {
	Ratio float64               `json:"ratio"`
	Tasks map[string]ClassRatio `json:"tasks,omitempty"`
}

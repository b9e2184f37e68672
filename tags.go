package herd

import "slices"

// filterTasks keeps the tasks that -T/--tags and -E/--exclude-tags select,
// as Locust does: a task carries its own tags and those of every enclosing
// task set; with include tags it must carry one of them; it must carry none
// of the exclude tags; a task set left without tasks is dropped.
func filterTasks(tasks []Task, include, exclude []string) []Task {
	if len(include) == 0 && len(exclude) == 0 {
		return tasks
	}
	return filterWith(tasks, nil, include, exclude)
}

func filterWith(tasks []Task, inherited, include, exclude []string) []Task {
	var out []Task
	for _, t := range tasks {
		tags := append(slices.Clip(inherited), t.Tags...)
		if t.Set != nil {
			kept := filterWith(t.Set.Tasks, tags, include, exclude)
			if len(kept) == 0 {
				continue
			}
			set := *t.Set
			set.Tasks = kept
			t.Set = &set
			out = append(out, t)
			continue
		}
		if len(include) > 0 && !anyIn(tags, include) {
			continue
		}
		if anyIn(tags, exclude) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func anyIn(tags, set []string) bool {
	for _, t := range tags {
		if slices.Contains(set, t) {
			return true
		}
	}
	return false
}

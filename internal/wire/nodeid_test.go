package wire

import (
	"regexp"
	"testing"
)

// TestNodeID checks the "<host>_<uuid4 hex>" shape.
func TestNodeID(t *testing.T) {
	shape := regexp.MustCompile(`^vm_[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
	a, b := NodeIDFor("vm"), NodeIDFor("vm")
	if !shape.MatchString(a) || a == b {
		t.Errorf("NodeIDFor = %q, %q", a, b)
	}
	if got := NodeHost(a); got != "vm" {
		t.Errorf("NodeHost = %q", got)
	}
	if id := NodeIDFor("\xff"); NodeHost(id) != "localhost" {
		t.Errorf("invalid host kept: %q", id)
	}
	if id := NewNodeID(); len(id) < 34 || NodeHost(id) == "" {
		t.Errorf("NewNodeID = %q", id)
	}
}

// TestVersionAtLeast covers the version comparisons a master needs.
func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		v, min string
		want   bool
	}{
		{"2.12.1", MasterHeartbeatSince, false},
		{"2.19.0", MasterHeartbeatSince, true},
		{"2.46.4.dev23+g407343d0", MasterHeartbeatSince, true},
		{"2.46.4.dev23+g407343d0", MasterSpawningCompleteSince, true},
		{"2.28.9", MasterSpawningCompleteSince, false},
		{"3", MasterSpawningCompleteSince, true},
		{"", MasterHeartbeatSince, false},
		{"-1", MasterHeartbeatSince, false},
		{LocustVersion, "2.12", true},
	} {
		if got := VersionAtLeast(c.v, c.min); got != c.want {
			t.Errorf("VersionAtLeast(%q, %q) = %v", c.v, c.min, got)
		}
	}
}

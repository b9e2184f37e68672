// Command sdk_session_patching is Locust's
// sdk_session_patching/session_patch_locustfile.py in herd: a third-party
// SDK built on net/http, handed the user's HTTP client, so that its calls
// are timed and recorded as the user's requests. The token is read from
// auth.text.
//
//	go run ./examples/locust/sdk_session_patching --headless -u 5 -t 1m -H https://app.example.com
package main

import (
	"context"
	"os"
	"strings"

	"github.com/herdload/herd"
)

type ArchivistUser struct {
	herd.HTTPUser
	tokenFile string
	arch      *Archivist
}

func (u *ArchivistUser) OnStart(ctx context.Context) error {
	token, err := os.ReadFile(u.tokenFile)
	if err != nil {
		return err // the user stops, and is replaced after a back-off
	}
	// An instance of the SDK, on the user's own client instead of its
	// default one (Locust's example overwrites the SDK's _session): its
	// requests go through the session's recording transport.
	u.arch = NewArchivist(herd.HostFrom(ctx), strings.TrimSpace(string(token)))
	u.arch.HTTP = u.Client.HTTP
	return nil
}

func (u *ArchivistUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "Create_assets", Run: func(ctx context.Context) error {
		// The user creates assets as fast as possible, until it is killed
		// at the stop. A failure is in the statistics already: go on.
		for ctx.Err() == nil {
			u.arch.CreateAsset(ctx, []string{"Builtin", "RecordEvidence", "Attachments"}, map[string]string{"foo": "bar"})
		}
		return nil
	}}}
}

// newTest is the test, its users' token in tokenFile.
func newTest(tokenFile string) *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "ArchivistUser",
		New:  func() herd.User { return &ArchivistUser{tokenFile: tokenFile} },
	}}}
}

func main() { herd.Main(newTest("auth.text")) }

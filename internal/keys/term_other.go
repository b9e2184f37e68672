//go:build !linux

package keys

import "os"

type term struct{}

func openTerm(*os.File) (*term, bool) { return nil, false }

func (*term) read([]byte) (int, error) { return 0, nil }
func (*term) wake()                    {}
func (*term) restore()                 {}

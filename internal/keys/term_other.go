//go:build !linux

package keys

import "os"

func charMode(*os.File) (func(), bool) { return nil, false }

package web

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	uiCloseBrowser() // the browser tests' shared Chromium
	os.Exit(code)
}

package tierotel

import (
	"runtime/debug"
	"sync"
)

// modulePath is the module this package belongs to.
const modulePath = "github.com/stackmemoryai/tier"

// version is the version of the tier module in the running binary, for
// the instrumentation scope: "(devel)" when it is the main module, empty
// when the binary carries no build information.
var version = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if info.Main.Path == modulePath {
		return info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == modulePath {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
})

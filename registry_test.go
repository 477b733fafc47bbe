package tier_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

func TestUnknownSchemeNamesTheForgottenImport(t *testing.T) {
	_, err := tier.OpenTier(context.Background(), "cassandra://host/ks")
	if !errors.Is(err, tier.ErrUnknownDriver) || !strings.Contains(err.Error(), `unknown tier driver "cassandra" (forgotten import?)`) {
		t.Fatalf("OpenTier of an unknown scheme = %v", err)
	}
	cfg := tier.Config{Tiers: []tier.TierSpec{{URL: "cassandra://host/ks"}}}
	if _, err := tier.Open(context.Background(), cfg); !errors.Is(err, tier.ErrUnknownDriver) {
		t.Fatalf("Open with an unknown scheme = %v", err)
	}
}

func TestDriversIsSortedAndRegisterRefusesDuplicates(t *testing.T) {
	names := tier.Drivers()
	if !slices.IsSorted(names) || !slices.Contains(names, "mem") {
		t.Fatalf("Drivers() = %v, want sorted and containing mem", names)
	}
	for name, d := range map[string]driver.Driver{"mem": memdriver.Driver{}, "nil-driver": nil} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			tier.Register(name, d)
		}()
	}
}

func TestBadTierURLParametersAreRejected(t *testing.T) {
	_, err := tier.OpenTier(context.Background(), "mem://x?colour=blue")
	if !errors.Is(err, driver.ErrBadDSN) {
		t.Fatalf("unknown parameter: %v, want ErrBadDSN", err)
	}
}

// Errors and logs show what the user wrote, without its secrets: a
// password in a URL is masked, a connection string that is not a URL is
// hidden whole, and a file path is shown as it is.
func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://app:s3cret@db:5432/frames", "postgres://app:xxxxx@db:5432/frames"},
		{"redis://:s3cret@cache:6379/0", "redis://:xxxxx@cache:6379/0"},
		{"postgres://db/frames?password=s3cret", "postgres://db/frames?password=xxxxx"},
		{"host=db user=app password=s3cret", "(redacted connection string)"},
		{"app:s3cret@db/frames", "(redacted connection string)"},
		{"host:6379:s3cret", "(redacted connection string)"},
		{"/home/me/My Projects/frames.db", "/home/me/My Projects/frames.db"},
		{"frames.db", "frames.db"},
		{"./data/frames.db", "./data/frames.db"},
		{"~/.stackmemory/frames.db", "~/.stackmemory/frames.db"},
		{`C:\Users\me\frames.db`, `C:\Users\me\frames.db`},
		{"sqlite:///home/me/frames.db", "sqlite:///home/me/frames.db"},
	} {
		if got := tier.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

package s3_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvcompose/compose/internal/s3test"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestCredentialChain opens stores whose URL has no key: from the
// environment, from a profile the environment names, from a profile the
// URL names.
func TestCredentialChain(t *testing.T) {
	s := s3test.Shared(t)
	file := filepath.Join(t.TempDir(), "credentials")
	ini := "[default]\naws_access_key_id = nobody\naws_secret_access_key = wrong\n\n" +
		"[kvtest]\naws_access_key_id = " + s3test.AccessKey + "\naws_secret_access_key = " + s3test.SecretKey + "\n"
	if err := os.WriteFile(file, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, tc := range []struct {
		name, profile string
		env           map[string]string
	}{
		{"environment", "", map[string]string{"AWS_ACCESS_KEY_ID": s3test.AccessKey, "AWS_SECRET_ACCESS_KEY": s3test.SecretKey}},
		{"AWS_PROFILE", "", map[string]string{"AWS_PROFILE": "kvtest"}},
		{"URL profile", "kvtest@", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			u := s.URL(s.NewBucket(t), "store")
			u = "s3:" + tc.profile + u[strings.Index(u, "@")+1:]
			d := kvtest.OpenStore(t, driverAt(t, u))
			if err := d.Store(t.Context(), "ns/a", []byte("v")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

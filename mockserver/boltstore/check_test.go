package boltstore_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore/boltstoretest"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample.db")
	if err := boltstoretest.WriteState(sample, 3<<19); err != nil {
		t.Fatal(err)
	}
	t.Run("undamaged", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		copyFile(t, sample, path)
		s := open(t, path)
		if n, err := s.Count(context.Background()); err != nil || n == 0 {
			t.Fatalf("count %d %v", n, err)
		}
		closeStore(t, s)
	})
	for _, d := range boltstoretest.Damages() {
		t.Run(d.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			copyFile(t, sample, path)
			if err := d.Apply(path); err != nil {
				t.Fatal(err)
			}
			s, err := boltstore.Open(path)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			var corrupt *boltstore.CorruptError
			if !errors.As(err, &corrupt) || corrupt.Path != path || corrupt.Reason == "" {
				t.Fatalf("error %v (%T), want a *CorruptError for %s", err, err, path)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "state file "+path+" is corrupt: ") || !strings.HasSuffix(msg, "; move it aside or restore a backup") || strings.Contains(msg, "\n") {
				t.Fatalf("message %q", msg)
			}
			t.Log(msg)
		})
	}
}

func TestOpenStartsAnEmptyStoreOnAnEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if n, err := s.Count(context.Background()); err != nil || n != 0 {
		t.Fatalf("count %d %v", n, err)
	}
	closeStore(t, s)
}

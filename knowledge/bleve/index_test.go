package bleve_test

import (
	"path/filepath"
	"testing"

	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/bleve"
	"github.com/open12345/hotline/knowledge/indextest"
)

func TestContract(t *testing.T) {
	indextest.Run(t, func(t *testing.T) knowledge.Index {
		ix, err := bleve.Open(filepath.Join(t.TempDir(), "guides.bleve"))
		if err != nil {
			t.Fatal(err)
		}
		return ix
	})
}

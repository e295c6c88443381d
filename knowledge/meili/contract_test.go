package meili

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/indextest"
)

// TestContract runs the contract every knowledge.Index passes against a
// real Meilisearch at HOTLINE_MEILI_URL (key HOTLINE_MEILI_KEY), each
// test in an index of its own that is deleted afterwards (the suite
// closes the Index; deleting still works on a closed one).
func TestContract(t *testing.T) {
	url := os.Getenv("HOTLINE_MEILI_URL")
	if url == "" {
		t.Skip("the contract suite needs a Meilisearch server at HOTLINE_MEILI_URL")
	}
	key := os.Getenv("HOTLINE_MEILI_KEY")
	newIndex := func(t *testing.T) knowledge.Index {
		t.Helper()
		ctx := context.Background()
		suffix := make([]byte, 8)
		if _, err := rand.Read(suffix); err != nil {
			t.Fatal(err)
		}
		ix, err := New(ctx, Config{URL: url, APIKey: key, IndexUID: "guides_test_" + hex.EncodeToString(suffix)}, nil)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() {
			task, err := ix.client.DeleteIndexWithContext(ctx, ix.uid)
			if err == nil {
				err = ix.wait(ctx, "delete the test index", task)
			}
			if err != nil {
				t.Errorf("delete test index %s: %v", ix.uid, err)
			}
		})
		return ix
	}
	indextest.Run(t, newIndex)
}

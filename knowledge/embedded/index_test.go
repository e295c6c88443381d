package embedded_test

import (
	"testing"

	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
	"github.com/open12345/hotline/knowledge/indextest"
)

func TestContract(t *testing.T) {
	indextest.Run(t, func(t *testing.T) knowledge.Index { return embedded.New() })
}

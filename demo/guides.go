package demo

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/open12345/hotline/knowledge"
)

//go:embed guides/*.json
var guideFiles embed.FS

// Guides returns the demo matter guides (办事指南), one file per
// department under demo/guides, in code order.
func Guides() ([]knowledge.Guide, error) {
	names, err := fs.Glob(guideFiles, "guides/*.json")
	if err != nil {
		return nil, fmt.Errorf("list demo guides: %w", err)
	}
	var out []knowledge.Guide
	for _, name := range names {
		data, err := guideFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		var gs []knowledge.Guide
		if err := json.Unmarshal(data, &gs); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		out = append(out, gs...)
	}
	slices.SortFunc(out, func(a, b knowledge.Guide) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

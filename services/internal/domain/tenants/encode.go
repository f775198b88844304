package tenants

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Encode writes f as a tenants file that Parse accepts (and that gives the
// same tenants back).
func (f File) Encode(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encode tenants file: %w", err)
	}
	return enc.Close()
}

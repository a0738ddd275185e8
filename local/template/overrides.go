package template

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Overrides are the local values of a template's parameters and the
// Parameter Store entries local runs serve (secrets stand-ins): one
// visible file, local/overrides.yaml.
type Overrides struct {
	// Parameters override the template's parameter defaults.
	Parameters map[string]string `yaml:"Parameters"`
	// SSMParameters are served to the functions by GetParameter, by name.
	SSMParameters map[string]string `yaml:"SSMParameters"`
}

// LoadOverrides reads an overrides file.
func LoadOverrides(path string) (Overrides, error) {
	var o Overrides
	b, err := os.ReadFile(path)
	if err != nil {
		return o, err
	}
	if err := yaml.Unmarshal(b, &o); err != nil {
		return o, fmt.Errorf("parse %s: %w", path, err)
	}
	return o, nil
}

// Check reports overrides naming no parameter of t, so a renamed
// parameter does not silently lose its local value.
func (o Overrides) Check(t *Template) error {
	for name := range o.Parameters {
		if _, ok := t.Parameters[name]; !ok {
			return fmt.Errorf("local override %s names no parameter of the template", name)
		}
	}
	return nil
}

// Package filter applies Lambda event filter patterns (an event source
// mapping's FilterCriteria) locally: a record goes to the function when
// any pattern matches it, and is dropped otherwise, as Lambda drops it.
//
// A pattern is a JSON object whose leaves are arrays of matchers: exact
// strings, numbers, booleans or null, and {"prefix"}, {"suffix"},
// {"equals-ignore-case"}, {"anything-but"}, {"exists"} and {"numeric"}.
// A field matches when any matcher matches it (or, for an array field,
// any of its elements); an object matches when every field does.
package filter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Patterns is a parsed FilterCriteria: the filters, any of which lets a
// record through. No patterns lets everything through.
type Patterns []map[string]any

// Parse parses FilterCriteria patterns (each a JSON object as a string).
func Parse(patterns []string) (Patterns, error) {
	var out Patterns
	for _, p := range patterns {
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			return nil, fmt.Errorf("filter pattern %s: %w", p, err)
		}
		if err := check(m); err != nil {
			return nil, fmt.Errorf("filter pattern %s: %w", p, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// check refuses what Match would not understand.
func check(m map[string]any) error {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			if err := check(x); err != nil {
				return err
			}
		case []any:
			for _, r := range x {
				if rule, ok := r.(map[string]any); ok {
					for op := range rule {
						switch op {
						case "prefix", "suffix", "equals-ignore-case", "anything-but", "exists", "numeric":
						default:
							return fmt.Errorf("%s: matcher %q is not supported locally", k, op)
						}
					}
				}
			}
		default:
			return fmt.Errorf("%s: want an object or an array of matchers", k)
		}
	}
	return nil
}

// Match reports whether a record (any JSON-encodable value) passes.
func (ps Patterns) Match(record any) (bool, error) {
	if len(ps) == 0 {
		return true, nil
	}
	b, err := json.Marshal(record)
	if err != nil {
		return false, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return false, err
	}
	for _, p := range ps {
		if object(p, doc) {
			return true, nil
		}
	}
	return false, nil
}

func object(p map[string]any, doc any) bool {
	m, _ := doc.(map[string]any)
	for k, want := range p {
		v, present := m[k]
		switch w := want.(type) {
		case map[string]any:
			if !present || !object(w, v) {
				return false
			}
		case []any:
			if !field(w, v, present) {
				return false
			}
		}
	}
	return true
}

// field matches one field against its matchers.
func field(rules []any, v any, present bool) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, r := range rules {
		if rule, ok := r.(map[string]any); ok {
			if e, ok := rule["exists"]; ok {
				if e == present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, x := range values {
			if one(r, x) {
				return true
			}
		}
	}
	return false
}

func one(rule, v any) bool {
	m, ok := rule.(map[string]any)
	if !ok {
		return equal(rule, v)
	}
	s, isString := v.(string)
	for op, arg := range m {
		switch op {
		case "prefix":
			return isString && strings.HasPrefix(s, fmt.Sprint(arg))
		case "suffix":
			return isString && strings.HasSuffix(s, fmt.Sprint(arg))
		case "equals-ignore-case":
			return isString && strings.EqualFold(s, fmt.Sprint(arg))
		case "anything-but":
			list, ok := arg.([]any)
			if !ok {
				list = []any{arg}
			}
			for _, a := range list {
				if equal(a, v) {
					return false
				}
			}
			return true
		case "numeric":
			return numeric(arg, v)
		}
	}
	return false
}

func equal(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && fa == fb
	}
	return a == b
}

// numeric matches [">", 0, "<=", 5] style ranges.
func numeric(arg, v any) bool {
	n, ok := v.(float64)
	if !ok {
		return false
	}
	list, _ := arg.([]any)
	for i := 0; i+1 < len(list); i += 2 {
		op, _ := list[i].(string)
		x, _ := list[i+1].(float64)
		var pass bool
		switch op {
		case "=":
			pass = n == x
		case "<":
			pass = n < x
		case "<=":
			pass = n <= x
		case ">":
			pass = n > x
		case ">=":
			pass = n >= x
		}
		if !pass {
			return false
		}
	}
	return len(list) > 0
}

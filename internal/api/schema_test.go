package api_test

import (
	"fmt"
	"sort"
	"strings"
)

// checkSchema validates a decoded JSON value against a JSON Schema (2020-12) node of an
// OpenAPI 3.1 document. It supports what our document uses: type (one or a list, "null"
// included), properties, required, additionalProperties: false, items, enum, minimum, maximum,
// minLength, and $ref to #/components/schemas. Anything else in a schema is an error, so the
// document cannot silently use a keyword this check ignores.
func checkSchema(doc map[string]any, schema map[string]any, v any, path string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		target, ok := dig(doc, "components", "schemas", name).(map[string]any)
		if !found || !ok {
			return []string{path + ": unresolved $ref " + ref}
		}
		return checkSchema(doc, target, v, path)
	}
	var errs []string
	for k := range schema {
		switch k {
		case "type", "properties", "required", "additionalProperties", "items", "enum", "minimum", "maximum",
			"minLength", "description", "format", "examples", "example", "title":
		default:
			errs = append(errs, fmt.Sprintf("%s: schema keyword %q not supported by the check", path, k))
		}
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !matchesType(v, types) {
			return append(errs, fmt.Sprintf("%s: %T %v is not of type %v", path, v, v, types))
		}
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || e == v
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v not in %v", path, v, enum))
		}
	}
	if n, ok := v.(float64); ok {
		if min, ok := schema["minimum"].(float64); ok && n < min {
			errs = append(errs, fmt.Sprintf("%s: %v < minimum %v", path, n, min))
		}
		if max, ok := schema["maximum"].(float64); ok && n > max {
			errs = append(errs, fmt.Sprintf("%s: %v > maximum %v", path, n, max))
		}
	}
	if s, ok := v.(string); ok {
		if min, ok := schema["minLength"].(float64); ok && float64(len(s)) < min {
			errs = append(errs, fmt.Sprintf("%s: shorter than %v", path, min))
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := obj[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required %q missing", path, r))
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					errs = append(errs, fmt.Sprintf("%s: property %q not in the schema", path, k))
				}
				continue
			}
			errs = append(errs, checkSchema(doc, ps, obj[k], path+"."+k)...)
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				errs = append(errs, checkSchema(doc, items, x, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func matchesType(v any, types []string) bool {
	for _, t := range types {
		switch t {
		case "null":
			if v == nil {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "integer":
			if n, ok := v.(float64); ok && n == float64(int64(n)) {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		}
	}
	return false
}

func asStrings(v any) []string {
	var out []string
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Package template reads template.yaml the way CloudFormation does, far
// enough for local runs and tests to take what deploys from it: the
// functions, their environment with parameters and intrinsic functions
// resolved, their events and the resources those name. Parameters
// resolve to their defaults or to local overrides; resources resolve to
// the names their properties give them, in the local region and account.
package template

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed template, intrinsic functions in their long form
// ({"Ref": "X"}, {"Fn::Sub": …}).
type Template struct {
	// Doc is the whole document.
	Doc        map[string]any
	Parameters map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]map[string]any
}

// FunctionType is the resource type of a Lambda function in the template.
const FunctionType = "AWS::Serverless::Function"

// intrinsics maps CloudFormation's short-form tags to their long names.
var intrinsics = map[string]string{
	"!Ref": "Ref", "!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And",
	"!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue", "!Base64": "Fn::Base64",
	"!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs", "!Condition": "Condition",
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse parses a template.
func Parse(b []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	v, err := plain(&doc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: not a mapping")
	}
	t := &Template{Doc: m, Resources: map[string]map[string]any{}}
	t.Parameters, _ = m["Parameters"].(map[string]any)
	t.Conditions, _ = m["Conditions"].(map[string]any)
	t.Globals, _ = m["Globals"].(map[string]any)
	res, _ := m["Resources"].(map[string]any)
	for id, r := range res {
		rm, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s is not a mapping", id)
		}
		t.Resources[id] = rm
	}
	return t, nil
}

// plain turns a YAML node into maps, slices and strings, writing
// short-form tags in their long form.
func plain(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			c, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = c
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			x, err := plain(c)
			if err != nil {
				return nil, err
			}
			s = append(s, x)
		}
		v = s
	case yaml.AliasNode:
		return plain(n.Alias)
	default:
		v = n.Value
	}
	if long, ok := intrinsics[n.Tag]; ok {
		if long == "Fn::GetAtt" && n.Kind == yaml.ScalarNode {
			parts := strings.SplitN(n.Value, ".", 2)
			v = []any{parts[0], parts[len(parts)-1]}
		}
		return map[string]any{long: v}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("template line %d: unknown tag %s", n.Line, n.Tag)
	}
	return v, nil
}

// Get walks v through nested mappings by key; nil when a step is missing.
func Get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// Functions returns the logical IDs of the template's functions, sorted.
func (t *Template) Functions() []string {
	var ids []string
	for id, r := range t.Resources {
		if r["Type"] == FunctionType {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Resolver resolves intrinsic functions for local runs.
type Resolver struct {
	T *Template
	// Params overrides parameter defaults, by parameter name.
	Params map[string]string
	// Region and Account stand in for AWS::Region and AWS::AccountId.
	Region, Account string
	// QueueURL returns a queue's URL from its name (Ref of an SQS queue).
	QueueURL func(name string) string
	// Known answers Ref (by logical ID) and Fn::GetAtt (by "ID.Attr")
	// first: names and ARNs only the running emulators know (a queue's
	// URL, a stream's ARN). What it lacks is derived from the properties.
	Known map[string]string
}

// Param returns a parameter's value: the override, else its default.
func (r *Resolver) Param(name string) (string, error) {
	if v, ok := r.Params[name]; ok {
		return v, nil
	}
	p, ok := r.T.Parameters[name]
	if !ok {
		return "", fmt.Errorf("no parameter %s", name)
	}
	d, ok := Get(p, "Default").(string)
	if !ok {
		return "", fmt.Errorf("parameter %s has no default and no local value", name)
	}
	return d, nil
}

// ref resolves {"Ref": name}.
func (r *Resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::Region":
		return r.Region, nil
	case "AWS::AccountId":
		return r.Account, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return "frontdesk-local", nil
	case "AWS::NoValue":
		return nil, nil
	}
	if p, ok := r.T.Parameters[name]; ok {
		v, err := r.Param(name)
		if err != nil {
			return nil, err
		}
		if Get(p, "Type") == "CommaDelimitedList" {
			var out []any
			for _, s := range strings.Split(v, ",") {
				out = append(out, strings.TrimSpace(s))
			}
			return out, nil
		}
		return v, nil
	}
	if v, ok := r.Known[name]; ok {
		return v, nil
	}
	res, ok := r.T.Resources[name]
	if !ok {
		return nil, fmt.Errorf("!Ref %s: no such parameter or resource", name)
	}
	prop := func(key string) (string, error) {
		v, err := r.String(Get(res, "Properties", key))
		if err == nil && v == "" {
			v = strings.ToLower(name)
		}
		return v, err
	}
	switch res["Type"] {
	case "AWS::DynamoDB::Table":
		return prop("TableName")
	case "AWS::SNS::Topic":
		n, err := prop("TopicName")
		return "arn:aws:sns:" + r.Region + ":" + r.Account + ":" + n, err
	case "AWS::SQS::Queue":
		n, err := prop("QueueName")
		if r.QueueURL != nil {
			return r.QueueURL(n), err
		}
		return "https://sqs." + r.Region + ".amazonaws.com/" + r.Account + "/" + n, err
	case "AWS::S3::Bucket":
		return prop("BucketName")
	case "AWS::SecretsManager::Secret":
		n, err := prop("Name")
		return "arn:aws:secretsmanager:" + r.Region + ":" + r.Account + ":secret:" + n, err
	case "AWS::SES::ReceiptRuleSet":
		return prop("RuleSetName")
	case FunctionType:
		return prop("FunctionName")
	}
	return "local-" + strings.ToLower(name), nil
}

// Name returns the name a resource's properties give it (TableName,
// TopicName, QueueName, BucketName), resolved.
func (r *Resolver) Name(id string) (string, error) {
	res := r.T.Resources[id]
	for _, k := range []string{"TableName", "TopicName", "QueueName", "BucketName", "FunctionName", "Name"} {
		if v := Get(res, "Properties", k); v != nil {
			return r.String(v)
		}
	}
	return strings.ToLower(id), nil
}

// getAtt resolves {"Fn::GetAtt": [id, attr]}.
func (r *Resolver) getAtt(id, attr string) (string, error) {
	if v, ok := r.Known[id+"."+attr]; ok {
		return v, nil
	}
	res, ok := r.T.Resources[id]
	if !ok {
		return "", fmt.Errorf("GetAtt %s.%s: no such resource", id, attr)
	}
	name, err := r.Name(id)
	if err != nil {
		return "", err
	}
	arn := func(service, rest string) string {
		return "arn:aws:" + service + ":" + r.Region + ":" + r.Account + ":" + rest
	}
	switch t := res["Type"]; {
	case t == "AWS::DynamoDB::Table" && attr == "Arn":
		return arn("dynamodb", "table/"+name), nil
	case t == "AWS::DynamoDB::Table" && attr == "StreamArn":
		return arn("dynamodb", "table/"+name+"/stream/local"), nil
	case t == "AWS::SQS::Queue" && attr == "Arn":
		return arn("sqs", name), nil
	case t == "AWS::SQS::Queue" && attr == "QueueName":
		return name, nil
	case t == "AWS::S3::Bucket" && attr == "Arn":
		return "arn:aws:s3:::" + name, nil
	case t == "AWS::SNS::Topic" && attr == "TopicName":
		return name, nil
	case attr == "Arn":
		return arn(strings.ToLower(strings.Split(t.(string), "::")[1]), name), nil
	}
	return "", fmt.Errorf("GetAtt %s.%s: not known locally", id, attr)
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// Value resolves every intrinsic function in v.
func (r *Resolver) Value(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, c := range x {
			y, err := r.Value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, y)
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || k == "Condition" {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, c := range x {
			y, err := r.Value(c)
			if err != nil {
				return nil, err
			}
			out[k] = y
		}
		return out, nil
	}
	return v, nil
}

func (r *Resolver) intrinsic(name string, arg any) (any, error) {
	args, _ := arg.([]any)
	switch name {
	case "Ref":
		return r.ref(fmt.Sprint(arg))
	case "Fn::GetAtt":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt wants [resource, attribute], got %v", arg)
		}
		return r.getAtt(fmt.Sprint(args[0]), fmt.Sprint(args[1]))
	case "Fn::Sub":
		s, vars := "", map[string]any{}
		if str, ok := arg.(string); ok {
			s = str
		} else if len(args) == 2 {
			s, _ = args[0].(string)
			vars, _ = args[1].(map[string]any)
		}
		var ferr error
		out := subVar.ReplaceAllStringFunc(s, func(m string) string {
			key := m[2 : len(m)-1]
			var v any
			var err error
			if x, ok := vars[key]; ok {
				v, err = r.Value(x)
			} else if id, attr, ok := strings.Cut(key, "."); ok {
				v, err = r.getAtt(id, attr)
			} else {
				v, err = r.ref(key)
			}
			if err != nil && ferr == nil {
				ferr = err
			}
			return fmt.Sprint(v)
		})
		return out, ferr
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join wants [separator, list], got %v", arg)
		}
		list, err := r.Value(args[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		var parts []string
		for _, it := range items {
			parts = append(parts, fmt.Sprint(it))
		}
		return strings.Join(parts, fmt.Sprint(args[0])), nil
	case "Fn::If":
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::If wants [condition, then, else], got %v", arg)
		}
		ok, err := r.Condition(fmt.Sprint(args[0]))
		if err != nil {
			return nil, err
		}
		if ok {
			return r.Value(args[1])
		}
		return r.Value(args[2])
	case "Fn::Select":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Select wants [index, list], got %v", arg)
		}
		list, err := r.Value(args[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		var i int
		fmt.Sscan(fmt.Sprint(args[0]), &i)
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %d out of range", i)
		}
		return items[i], nil
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		return r.cond(map[string]any{name: arg})
	}
	return nil, fmt.Errorf("%s is not resolved locally", name)
}

// Condition evaluates one of the template's named conditions.
func (r *Resolver) Condition(name string) (bool, error) {
	c, ok := r.T.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	return r.cond(c)
}

func (r *Resolver) cond(c any) (bool, error) {
	m, ok := c.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("condition %v is not a condition function", c)
	}
	for k, arg := range m {
		args, _ := arg.([]any)
		switch k {
		case "Condition":
			return r.Condition(fmt.Sprint(arg))
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals wants two values")
			}
			a, err := r.String(args[0])
			if err != nil {
				return false, err
			}
			b, err := r.String(args[1])
			return a == b, err
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("Fn::Not wants one condition")
			}
			v, err := r.cond(args[0])
			return !v, err
		case "Fn::And", "Fn::Or":
			all := k == "Fn::And"
			for _, a := range args {
				v, err := r.cond(a)
				if err != nil {
					return false, err
				}
				if v != all {
					return v, nil
				}
			}
			return all, nil
		}
		return false, fmt.Errorf("%s is not a condition function", k)
	}
	return false, nil
}

// String resolves v and returns it as a string; lists are joined with
// commas, as CloudFormation passes them to a string property.
func (r *Resolver) String(v any) (string, error) {
	x, err := r.Value(v)
	if err != nil {
		return "", err
	}
	switch y := x.(type) {
	case nil:
		return "", nil
	case string:
		return y, nil
	case []any:
		var parts []string
		for _, p := range y {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, ","), nil
	}
	return fmt.Sprint(x), nil
}

// Environment returns a function's variables as Lambda would set them:
// the Globals' merged with the function's own, every value resolved.
func (r *Resolver) Environment(id string) (map[string]string, error) {
	res, ok := r.T.Resources[id]
	if !ok || res["Type"] != FunctionType {
		return nil, fmt.Errorf("template has no function %s", id)
	}
	out := map[string]string{}
	for _, vars := range []any{
		Get(r.T.Globals, "Function", "Environment", "Variables"),
		Get(res, "Properties", "Environment", "Variables"),
	} {
		m, _ := vars.(map[string]any)
		for k, v := range m {
			s, err := r.String(v)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", id, k, err)
			}
			out[k] = s
		}
	}
	return out, nil
}

// Property returns a function's property with the Globals' as default
// (Timeout, MemorySize), resolved.
func (r *Resolver) Property(id, name string) (string, error) {
	v := Get(r.T.Resources[id], "Properties", name)
	if v == nil {
		v = Get(r.T.Globals, "Function", name)
	}
	return r.String(v)
}

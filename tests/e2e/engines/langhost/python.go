package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
)

// execScript is Pulumi's own program runner for Python, taken from the sdk/v3 module of the same release and
// installed beside this binary.
const execScript = "pulumi-language-python-exec"

// pluginJSONScript maps each installed distribution to the pulumi-plugin.json its top-level package ships.
const pluginJSONScript = `import importlib.metadata, importlib.util, json, os, sys
found = {}
for name in sys.argv[1:]:
    path = ""
    try:
        dist = importlib.metadata.distribution(name)
        spec = importlib.util.find_spec(dist.metadata["Name"].replace("-", "_"))
        for location in (spec.submodule_search_locations or []) if spec else []:
            candidate = os.path.join(str(location), "pulumi-plugin.json")
            if os.path.isfile(candidate):
                path = candidate
                break
    except Exception:
        pass
    found[name] = path
print(json.dumps(found))`

// Distributions named pulumi-* that are known to have no provider plugin.
var withoutPlugin = map[string]bool{"pulumi-policy": true, "pulumi-esc-sdk": true}

type pythonHost struct {
	base
	exec string
}

func newPythonHost(engineAddress string) (*pythonHost, error) {
	dir, err := selfDir()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, execScript)
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("missing %s beside the language host: %w", execScript, err)
	}
	return &pythonHost{base: newBase(engineAddress), exec: script}, nil
}

// pythonOptions reads the runtime options of Pulumi.yaml (toolchain, virtualenv); plugins default to ./venv.
func pythonOptions(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	options := info.GetOptions().AsMap()
	if v, ok := options["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := options["toolchain"]; ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", v)
		}
	}
	if v, ok := options["typechecker"]; ok && v != nil {
		return opts, errors.New("the typechecker option is not supported by this language host")
	}
	if isPlugin && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

func (h *pythonHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	opts, err := pythonOptions(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	// Like Pulumi's host: a missing virtualenv is created and filled from requirements.txt before listing.
	if err := tc.EnsureVenv(ctx, opts.ProgramDir, false, true, os.Stdout, os.Stderr); err != nil {
		return nil, err
	}
	dists, err := tc.ListPackages(ctx, true)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(dists))
	for _, d := range dists {
		names = append(names, d.Name)
	}
	paths := map[string]string{}
	if len(names) > 0 {
		cmd, err := tc.Command(ctx, append([]string{"-c", pluginJSONScript}, names...)...)
		if err != nil {
			return nil, err
		}
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("listing pulumi-plugin.json files: %w", err)
		}
		if err := json.Unmarshal(out, &paths); err != nil {
			return nil, fmt.Errorf("listing pulumi-plugin.json files: %w", err)
		}
	}
	var packages []*pulumirpc.PackageDependency
	for _, d := range dists {
		if withoutPlugin[d.Name] {
			continue
		}
		var meta *plugin.PulumiPluginJSON
		if p := paths[d.Name]; p != "" {
			if meta, err = plugin.LoadPulumiPluginJSON(p); err != nil {
				return nil, fmt.Errorf("reading %s: %w", p, err)
			}
		}
		// The rule that catches every pulumi-* distribution: with no pulumi-plugin.json the name alone makes
		// it a provider SDK whose plugin the engine must have.
		if meta == nil && !strings.HasPrefix(d.Name, "pulumi-") {
			continue
		}
		if dep := pythonDependency(d, meta); dep != nil {
			packages = append(packages, dep)
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func (h *pythonHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return getRequiredPlugins(ctx, h, req)
}

// pythonDependency names the plugin a distribution needs, or nil when its pulumi-plugin.json says it has none.
func pythonDependency(d plugin.DependencyInfo, meta *plugin.PulumiPluginJSON) *pulumirpc.PackageDependency {
	var name, ver, server string
	if meta != nil {
		if !meta.Resource {
			return nil
		}
		name, ver, server = meta.Name, meta.Version, meta.Server
	}
	if name == "" {
		name = strings.TrimPrefix(d.Name, "pulumi-")
	}
	if ver == "" {
		v, ok := pep440ToSemver(d.Version)
		if !ok {
			return nil
		}
		ver = v
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: server}
}

var pep440 = regexp.MustCompile(`^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$`)

// pep440ToSemver translates the common PEP 440 forms (1.2, 1.2.3rc1, 1.2.3.post4.dev5) to semver.
func pep440ToSemver(v string) (string, bool) {
	m := pep440.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	parts := strings.Split(m[1], ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	out := strings.Join(parts, ".")
	if m[2] != "" {
		out += "-" + map[string]string{"a": "alpha", "b": "beta", "rc": "rc"}[m[2]] + "." + m[3]
	}
	if m[4] != "" || m[5] != "" {
		out += "+"
		if m[4] != "" {
			out += "post" + m[4]
		}
		if m[5] != "" {
			out += "dev" + m[5]
		}
	}
	return out, true
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, err := pythonOptions(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	args := []string{h.exec}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	args = append(args, req.GetArgs()...)

	config, err := configJSON(req.GetConfig(), func(k string) string { return k })
	if err != nil {
		return nil, err
	}
	secrets, err := secretKeysJSON(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	cmd, err := tc.Command(context.Background(), args...)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env, "PULUMI_CONFIG="+config, "PULUMI_CONFIG_SECRET_KEYS="+secrets)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return h.runProgram(ctx, cmd), nil
}

// RunPlugin runs a source-based plugin (a folder with PulumiPlugin.yaml) or a policy pack with Python.
func (h *pythonHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	analyzer := req.GetKind() == string(apitype.AnalyzerPlugin)
	opts, err := pythonOptions(req.GetInfo(), !analyzer)
	if err != nil {
		return err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	var args []string
	if analyzer {
		args = append(append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...), req.GetInfo().GetProgramDirectory())
	} else {
		if _, err := os.Stat(filepath.Join(opts.Root, "__main__.py")); err != nil {
			return fmt.Errorf("plugin %s has no __main__.py: %w", opts.Root, err)
		}
		args = append([]string{req.GetInfo().GetProgramDirectory()}, req.GetArgs()...)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	var proxy *sdk.PolicyProxy
	if analyzer {
		// Policy packs start in their own folder and get the stack's identity and config through the proxy.
		cmd.Dir = req.GetInfo().GetProgramDirectory()
		if proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return err
		}
		if stack != nil {
			setEnv := func(k, v string) {
				if v != "" {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			setEnv("PULUMI_ORGANIZATION", stack.GetOrganization())
			setEnv("PULUMI_PROJECT", stack.GetProject())
			setEnv("PULUMI_STACK", stack.GetStack())
			setEnv("PULUMI_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
			if c := stack.GetConfig(); c != nil {
				data, err := json.Marshal(c)
				if err != nil {
					return err
				}
				setEnv("PULUMI_CONFIG", string(data))
			}
		}
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run the plugin: %w", err)
	}
	if proxy != nil {
		// The proxy serves the engine from here on and reaps the process itself.
		if err := proxy.Attach(ctx, cmd); err != nil {
			return err
		}
		return closer.Close()
	}
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
			})
		}
		return err
	}
	return closer.Close()
}

func (h *pythonHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	opts, err := pythonOptions(req.GetInfo(), req.GetIsPlugin())
	if err != nil {
		return err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	if err := tc.InstallDependencies(server.Context(), opts.ProgramDir, false, true, stdout, stderr); err != nil {
		return err
	}
	return closer.Close()
}

func (h *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts, err := pythonOptions(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: info.PythonExecutable, Version: info.PythonVersion.String()}, nil
}

func (h *pythonHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := pythonOptions(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	dists, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(dists))
	for _, d := range dists {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *pythonHost) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return generatePackage(req, "python")
}

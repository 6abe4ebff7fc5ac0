// Command langhost stands in for Pulumi's python, nodejs and go language hosts, which the Go module proxy does
// not serve (their modules carry no tags and the proxy refuses every pseudo-version). One binary answers to
// three names: the engine starts `pulumi-language-<runtime>` and this program picks its runtime from argv[0].
//
// It is written for this project's end-to-end tests: it runs real programs under the real engine, with the
// semantics users meet (virtualenv handling, plugin discovery from installed packages, exit code 32 for an error
// already shown, policy packs through the policy proxy, SDK generation with Pulumi's own code generators). It is
// not a copy of Pulumi's hosts; where it is simpler or differs, tests/e2e/README.md says so.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at link time to the Pulumi release these hosts are built against.
var version = "v0.0.0-dev"

// bailExitCode is what every Pulumi language SDK exits with after it has already shown the user an error.
const bailExitCode = 32

// base holds what every runtime shares: the engine's address and the cancellation of running programs.
type base struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	cancelCtx     context.Context
	cancel        context.CancelFunc
}

func newBase(engineAddress string) base {
	ctx, cancel := context.WithCancel(context.Background())
	return base{engineAddress: engineAddress, cancelCtx: ctx, cancel: cancel}
}

func (b *base) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (b *base) engine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.engineAddress
}

func (b *base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (b *base) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (b *base) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	b.cancel()
	return &emptypb.Empty{}, nil
}

// GetRequiredPlugins is the pre-packages form of GetRequiredPackages, still called by older engine paths.
func getRequiredPlugins(
	ctx context.Context, host pulumirpc.LanguageRuntimeServer, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	resp, err := host.GetRequiredPackages(ctx, &pulumirpc.GetRequiredPackagesRequest{Info: req.GetInfo()})
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(resp.GetPackages()))
	for _, p := range resp.GetPackages() {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Server: p.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// configJSON serialises the stack config for the SDKs, which read it from PULUMI_CONFIG.
func configJSON(config map[string]string, rename func(string) string) (string, error) {
	out := make(map[string]string, len(config))
	for k, v := range config {
		out[rename(k)] = v
	}
	data, err := json.Marshal(out)
	return string(data), err
}

func secretKeysJSON(keys []string) (string, error) {
	if keys == nil {
		keys = []string{}
	}
	data, err := json.Marshal(keys)
	return string(data), err
}

// runProgram runs a program to completion, stopping it (SIGINT, then kill) when the engine cancels, and turns
// its exit into a RunResponse the way every Pulumi host does: 32 means "already reported", so bail quietly.
func (b *base) runProgram(ctx context.Context, cmd *exec.Cmd) *pulumirpc.RunResponse {
	runCtx, stop := context.WithCancel(b.cancelCtx)
	defer stop()
	context.AfterFunc(ctx, stop)
	done := make(chan struct{})
	defer close(done)
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start the program: %v", err)}
	}
	go func() {
		select {
		case <-runCtx.Done():
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
			}
		case <-done:
		}
	}()
	err := cmd.Wait()
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == bailExitCode {
			return &pulumirpc.RunResponse{Bail: true}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode())}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("problem executing program: %v", err)}
}

// selfDir is the folder holding this binary (symlinks resolved), where helper scripts live beside it.
func selfDir() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	exe, err = filepath.EvalSymlinks(exe)
	if err != nil {
		return "", err
	}
	return filepath.Dir(exe), nil
}

// parseArgs reads the command line the engine gives a language host: flags, then the engine's address.
// Older engines (and the YAML host, which embeds one) also pass the runtime options as -key=value flags; the
// options arrive again in every request's ProgramInfo, so those flags are accepted and ignored.
func parseArgs(args []string) (engineAddress string, showVersion bool) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "-version" || arg == "--version":
			showVersion = true
		case arg == "-tracing" || arg == "--tracing":
			i++ // its value follows
		case strings.HasPrefix(arg, "-"):
		default:
			engineAddress = arg
		}
	}
	return engineAddress, showVersion
}

func main() {
	engineAddress, showVersion := parseArgs(os.Args[1:])
	if showVersion {
		fmt.Println(version)
		return
	}
	runtime := strings.TrimPrefix(filepath.Base(os.Args[0]), "pulumi-language-")

	var host pulumirpc.LanguageRuntimeServer
	switch runtime {
	case "python":
		h, err := newPythonHost(engineAddress)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
			os.Exit(1)
		}
		host = h
	case "nodejs":
		host = &nodeHost{base: newBase(engineAddress)}
	case "go":
		host = &goHost{base: newBase(engineAddress)}
	default:
		fmt.Fprintf(os.Stderr, "langhost: started as %q; link it as pulumi-language-{python,nodejs,go}\n", os.Args[0])
		os.Exit(2)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	if engineAddress != "" {
		// Exit with the engine: a host orphaned by a crashed CLI must not linger.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-%s: health check: %v\n", runtime, err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-%s: %v\n", runtime, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-%s: %v\n", runtime, err)
		os.Exit(1)
	}
}

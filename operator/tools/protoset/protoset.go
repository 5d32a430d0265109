// Package protoset writes every file registered in protoregistry.GlobalFiles as one
// google.protobuf.FileDescriptorSet.
//
// The per-Envoy-version programs in ./envoy-1.NN/ blank-import every generated package of
// github.com/envoyproxy/go-control-plane/envoy at the tag of that Envoy release (plus the
// cncf/xds packages Envoy configs reference) and call Main. Their init functions register
// each file descriptor with all options, so `(validate.rules)` and friends survive; only
// source info is stripped. See docs/adr/0020-envoy-protos-per-version.md.
package protoset

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// Every well-known type, so Any/Struct/FieldMask/... resolve even if unreferenced.
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/apipb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/sourcecontextpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/typepb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// Meta describes one generated descriptor set; it is written next to it as <out>.json.
type Meta struct {
	EnvoyVersion   string            `json:"envoyVersion"`
	GoControlPlane string            `json:"goControlPlane"`
	Modules        map[string]string `json:"modules"`
	Files          int               `json:"files"`
	Messages       int               `json:"messages"`
	Enums          int               `json:"enums"`
}

// Build returns the FileDescriptorSet of every registered file, dependencies first, ties
// broken by file name, without source info.
func Build() (*descriptorpb.FileDescriptorSet, Meta) {
	var files []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		files = append(files, fd)
		return true
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path() < files[j].Path() })

	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var meta Meta
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imps := fd.Imports()
		for i := 0; i < imps.Len(); i++ {
			if imp := imps.Get(i); !imp.IsPlaceholder() {
				visit(imp.FileDescriptor)
			}
		}
		fdp := protodesc.ToFileDescriptorProto(fd)
		fdp.SourceCodeInfo = nil
		set.File = append(set.File, fdp)
		meta.Files++
		meta.Messages += countMessages(fd.Messages())
		meta.Enums += fd.Enums().Len()
	}
	for _, fd := range files {
		visit(fd)
	}
	return set, meta
}

func countMessages(ms protoreflect.MessageDescriptors) int {
	n := ms.Len()
	for i := 0; i < ms.Len(); i++ {
		n += countMessages(ms.Get(i).Messages())
	}
	return n
}

// Main is the entry point of the per-version programs: `protoset-envoy-1.NN OUT.pb`.
func Main(envoyVersion string) {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUT.pb\n", filepath.Base(os.Args[0]))
		os.Exit(2)
	}
	out := os.Args[1]
	set, meta := Build()
	meta.EnvoyVersion = envoyVersion
	meta.Modules = map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v = d.Replace.Version
			}
			if d.Path == "github.com/envoyproxy/go-control-plane/envoy" {
				meta.GoControlPlane = v
			}
			if strings.HasPrefix(d.Path, "github.com/envoyproxy/") || strings.HasPrefix(d.Path, "github.com/cncf/") ||
				d.Path == "google.golang.org/protobuf" {
				meta.Modules[d.Path] = v
			}
		}
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fail(err)
	}
	if err := writeAtomic(out, b); err != nil {
		fail(err)
	}
	mj, _ := json.MarshalIndent(meta, "", "  ")
	if err := writeAtomic(strings.TrimSuffix(out, ".pb")+".json", append(mj, '\n')); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: envoy %s, go-control-plane %s, %d files, %d messages, %d bytes\n",
		out, envoyVersion, meta.GoControlPlane, meta.Files, meta.Messages, len(b))
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "protoset:", err)
	os.Exit(1)
}

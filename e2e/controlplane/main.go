// Command kube-controlplane is a multi-call binary for meshwarden's e2e tests.
// It links etcd (embedded), kube-apiserver, kube-controller-manager and kubectl
// from k8s.io/kubernetes so that tests run against real Kubernetes components
// without downloading release binaries.
//
// Usage:
//
//	kube-controlplane etcd --data-dir DIR --listen-client 127.0.0.1:P --listen-peer 127.0.0.1:Q
//	kube-controlplane kube-apiserver [kube-apiserver flags]
//	kube-controlplane kube-controller-manager [kube-controller-manager flags]
//	kube-controlplane kubectl [kubectl args]   (or invoke through a symlink named kubectl)
//	kube-controlplane version
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/component-base/version"
)

// commands maps a sub-command (or argv[0] basename) to its entry point.
// Entry points read their arguments from os.Args[1:].
var commands = map[string]func() int{
	"version": func() int { fmt.Println(version.Get().GitVersion); return 0 },
}

func main() {
	name := filepath.Base(os.Args[0])
	if _, ok := commands[name]; !ok {
		if len(os.Args) < 2 {
			usage()
			os.Exit(2)
		}
		name = os.Args[1]
		os.Args = os.Args[1:]
	}
	run, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown command %q\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(run())
}

func usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: kube-controlplane {%s} [args]\n", strings.Join(names, "|"))
}

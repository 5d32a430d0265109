package main

import (
	_ "time/tzdata" // CronJob time zone support, as in cmd/kube-apiserver

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func init() {
	commands["kube-apiserver"] = func() int { return cli.Run(apiserver.NewAPIServerCommand()) }
}

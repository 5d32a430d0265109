package main

import (
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/prometheus/workqueue" // workqueue metrics
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func init() {
	commands["kube-controller-manager"] = func() int { return cli.Run(kcm.NewControllerManagerCommand()) }
}

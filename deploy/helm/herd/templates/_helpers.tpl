{{/* The chart's name. */}}
{{- define "herd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name for every object. */}}
{{- define "herd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The master's Service: the host workers connect to. */}}
{{- define "herd.masterService" -}}
{{- printf "%s-master" (include "herd.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "herd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "herd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "herd.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "herd.tokenSecret" -}}
{{- default (printf "%s-master-token" (include "herd.fullname" .)) .Values.masterTokenExistingSecret -}}
{{- end -}}

{{- define "herd.webAuthSecret" -}}
{{- default (printf "%s-web-auth" (include "herd.fullname" .)) .Values.master.webAuthExistingSecret -}}
{{- end -}}

{{- define "herd.reportsClaim" -}}
{{- default (printf "%s-reports" (include "herd.fullname" .)) .Values.reports.existingClaim -}}
{{- end -}}

{{/* Whether the web UI asks for basic auth. */}}
{{- define "herd.webAuth" -}}
{{- if and (eq .Values.mode "web") (or .Values.master.webAuth .Values.master.webAuthExistingSecret) }}true{{ end -}}
{{- end -}}

{{/* The environment of master and workers: the token, then extraEnv. */}}
{{- define "herd.env" -}}
{{- if or .Values.masterToken .Values.masterTokenExistingSecret }}
- name: HERD_MASTER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "herd.tokenSecret" . }}
      key: {{ .Values.masterTokenKey }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The master's arguments: the test, then herd's options. */}}
{{- define "herd.masterArgs" -}}
{{- $v := .Values -}}
{{- range $v.testArgs }}
- {{ . | quote }}
{{- end }}
- --master
- --master-bind-port
- {{ int64 $v.master.port | quote }}
- --expect-workers
- {{ int64 $v.workers.replicas | quote }}
- --expect-workers-max-wait
- {{ int64 $v.master.expectWorkersMaxWait | quote }}
- --users
- {{ int64 $v.users | quote }}
- --spawn-rate
- {{ $v.spawnRate | quote }}
{{- if $v.runTime }}
- --run-time
- {{ $v.runTime | quote }}
{{- end }}
{{- if $v.host }}
- --host
- {{ $v.host | quote }}
{{- end }}
{{- if eq $v.mode "headless" }}
- --headless
- --only-summary
- --metrics-port
- {{ int64 $v.metrics.port | quote }}
{{- else }}
- --web-port
- {{ int64 $v.master.webPort | quote }}
{{- if $v.master.autostart }}
- --autostart
{{- end }}
{{- range $v.master.webHostAllow }}
- --web-host-allow
- {{ . | quote }}
{{- end }}
{{- if $v.master.webBasePath }}
- --web-base-path
- {{ $v.master.webBasePath | quote }}
{{- end }}
{{- end }}
{{- with $v.metrics.otlpEndpoint }}
- --otlp-endpoint
- {{ . | quote }}
{{- end }}
{{- range $v.thresholds }}
- --threshold
- {{ . | quote }}
{{- end }}
{{- if $v.reports.enabled }}
{{- $p := printf "%s/%s" (trimSuffix "/" $v.reports.path) $v.reports.prefix }}
- --csv
- {{ $p | quote }}
- --json-file
- {{ printf "%s.json" $p | quote }}
- --html
- {{ printf "%s.html" $p | quote }}
{{- if $v.thresholds }}
- --junit
- {{ printf "%s-junit.xml" $p | quote }}
{{- end }}
{{- end }}
{{- range $v.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The workers' arguments. */}}
{{- define "herd.workerArgs" -}}
{{- range .Values.testArgs }}
- {{ . | quote }}
{{- end }}
- --worker
- --master-host
- {{ include "herd.masterService" . | quote }}
- --master-port
- {{ int64 .Values.master.port | quote }}
{{- range .Values.workers.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The probes of the master's container. */}}
{{- define "herd.masterProbes" -}}
{{- if and (eq .Values.mode "web") (not (include "herd.webAuth" .)) }}
readinessProbe:
  httpGet:
    path: {{ printf "%s/api/state" (trimSuffix "/" .Values.master.webBasePath) }}
    port: web
    httpHeaders:
      # The web UI answers only its bind address and localhost unless
      # --web-host-allow says otherwise (against DNS rebinding).
      - name: Host
        value: localhost
  periodSeconds: 5
  failureThreshold: 3
livenessProbe:
  tcpSocket:
    port: web
  initialDelaySeconds: 5
  periodSeconds: 10
  failureThreshold: 6
{{- else }}
{{- $port := ternary "web" "master" (eq .Values.mode "web") }}
readinessProbe:
  tcpSocket:
    port: {{ $port }}
  periodSeconds: 5
  failureThreshold: 3
livenessProbe:
  tcpSocket:
    port: master
  initialDelaySeconds: 5
  periodSeconds: 10
  failureThreshold: 6
{{- end }}
{{- end -}}

{{/* Where Prometheus scrapes the master: the web UI's port and base path in
web mode, --metrics-port in headless mode. */}}
{{- define "herd.metricsPort" -}}
{{- if eq .Values.mode "web" }}{{ int64 .Values.master.webPort }}{{ else }}{{ int64 .Values.metrics.port }}{{ end -}}
{{- end -}}
{{- define "herd.metricsPath" -}}
{{- if eq .Values.mode "web" }}{{ printf "%s/metrics" (trimSuffix "/" .Values.master.webBasePath) }}{{ else }}/metrics{{ end -}}
{{- end -}}

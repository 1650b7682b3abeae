using Akka.Actor;
using Dpr.Actors;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Prometheus;

namespace Dpr.Host.Api;

/// <summary>
/// The service's Prometheus metrics (docs/api.md), in a registry of their own: swaps and upsets from
/// the region managers' stored events, job waits from the intake, journal failures, submissions by
/// outcome, and the queue depth per module asked of the intake at each scrape. On a fleet node each board keeps
/// its own (<see cref="ForBoard"/>, every series labelled with the board) and the node's <c>/metrics</c> adds
/// every board's to its own (docs/fleet.md).
/// </summary>
public sealed class DprMetrics
{
    private readonly string? _board;
    private readonly Counter _swaps;
    private readonly Histogram _swapDuration;
    private readonly Gauge _queueDepth;
    private readonly Histogram _jobWait;
    private readonly Histogram _tenantWait;
    private readonly Counter _upsets;
    private readonly Counter _journalErrors;
    private readonly Counter _submitted;
    private readonly Counter _chaos;
    private readonly Gauge _journalUp;
    private readonly Counter _journalProbeFailures;
    private readonly Counter _finished;
    private readonly Histogram _runTime;
    private readonly Gauge _partitionModule;
    private readonly Counter _authFailures;

    public DprMetrics()
        : this(null)
    {
    }

    private DprMetrics(string? board)
    {
        _board = board;
        Registry = Metrics.NewCustomRegistry();
        var factory = board is null ? Metrics.WithCustomRegistry(Registry) : Metrics.WithCustomRegistry(Registry).WithLabels(new Dictionary<string, string> { ["board"] = board });
        // A board's registry holds the board's series only: the node's own (journal, submissions, authentication, chaos) go nowhere.
        var node = board is null ? factory : Metrics.WithCustomRegistry(Metrics.NewCustomRegistry());
        _swaps = factory.CreateCounter("dpr_swaps_total", "Swaps by module and outcome (completed, failed).", ["module", "outcome"]);
        _swapDuration = factory.CreateHistogram("dpr_swap_duration_seconds", "A completed swap from decouple to bound driver.",
            new HistogramConfiguration { LabelNames = ["module"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _queueDepth = factory.CreateGauge("dpr_queue_depth", "Accepted jobs not yet started, per module.", ["module"]);
        _jobWait = factory.CreateHistogram("dpr_job_wait_seconds", "From acceptance to the first start of a job.",
            new HistogramConfiguration { LabelNames = ["module"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        // Per tenant, so a tenant can see what the scheduler's fairness gives it (tenants are the API keys: few).
        _tenantWait = factory.CreateHistogram("dpr_tenant_job_wait_seconds", "From acceptance to the first start of a job, per tenant.",
            new HistogramConfiguration { LabelNames = ["tenant"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _upsets = factory.CreateCounter("dpr_upsets_total", "Configuration upsets reported by the SEM controller.", ["partition", "corrected"]);
        _journalErrors = node.CreateCounter("dpr_journal_errors_total", "Journal writes that failed, by writer.", ["writer"]);
        _submitted = node.CreateCounter("dpr_jobs_submitted_total", "Job submissions by outcome (accepted, invalid, quota, queue, journal, disk).", ["outcome"]);
        _chaos = node.CreateCounter("dpr_chaos_injections_total", "Faults injected on purpose (/v1/chaos), by kind (sem-correctable, sem-uncorrectable, port-fail, port-hang, port-partial, port-corrupt, journal-outage).", ["kind"]);
        _journalUp = node.CreateGauge("dpr_journal_up", "1 when the last probe reached the journal's database, else 0.");
        _journalProbeFailures = node.CreateCounter("dpr_journal_probe_failures_total", "Probes of the journal's database that failed.");
        _finished = factory.CreateCounter("dpr_jobs_finished_total", "Jobs whose outcome is stored, by module and outcome (completed, failed, cancelled).", ["module", "outcome"]);
        _runTime = factory.CreateHistogram("dpr_job_run_seconds", "A completed job's run on its module, as the module measured it.",
            new HistogramConfiguration { LabelNames = ["module"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 20) });
        _partitionModule = factory.CreateGauge("dpr_partition_module", "1 for the module loaded in each partition, its driver bound; 0 for the modules it held before, and while it loads, scrubs or is faulted.", ["partition", "module"]);
        _authFailures = node.CreateCounter("dpr_auth_failures_total",
            $"Requests refused for a missing, unknown or revoked key, by source address (the first {AuthFailures.MaxSourceLabels} seen; the rest as 'other').", ["source"]);
        // Resident and private memory, the GC heap and collections, CPU time: what a board with 512 MB is watched by (docs/benchmarks/memory.md).
        if (board is null)
        {
            DotNetStats.Register(Registry);
        }
    }

    /// <summary>A fleet's board's metrics: its swaps, upsets, jobs and queue, each series labelled <c>board</c>; no process metrics (the node has those).</summary>
    public static DprMetrics ForBoard(string board) => new(board);

    public CollectorRegistry Registry { get; }

    public void Submitted(string outcome) => _submitted.WithLabels(outcome).Inc();

    /// <summary><paramref name="count"/> faults of <paramref name="kind"/> injected through <see cref="ChaosInjector"/>.</summary>
    public void ChaosInjected(string kind, int count = 1) => _chaos.WithLabels(kind).Inc(count);

    /// <summary>An authentication failed; <paramref name="source"/> is an address or <c>other</c> (<see cref="AuthFailures"/> bounds them).</summary>
    public void AuthFailed(string source) => _authFailures.WithLabels(source).Inc();

    /// <summary>What a journal probe found (<c>Service.JournalHealth</c>).</summary>
    public void JournalProbed(bool up)
    {
        _journalUp.Set(up ? 1 : 0);
        if (!up)
        {
            _journalProbeFailures.Inc();
        }
    }

    /// <summary>Listens to what the actors of <paramref name="system"/> publish; the queue depths are asked of <paramref name="intake"/> at each scrape.</summary>
    public void Observe(ActorSystem system, IActorRef intake, TimeSpan timeout)
    {
        Listen(system, system.EventStream, typeof(Observed.RegionEvent), typeof(Observed.JobWaited), typeof(Observed.JobRan), typeof(Observed.JobFinished), typeof(Observed.JournalFailed));
        ObserveQueue(intake, timeout);
    }

    /// <summary>On a fleet node: only the journals' failures (the boards keep their own series, <see cref="ObserveBoard"/>).</summary>
    public void ObserveFleetNode(ActorSystem system) => Listen(system, system.EventStream, typeof(Observed.JournalFailed));

    /// <summary>A fleet's board (<see cref="ForBoard"/>): what its own actors publish, by a listener that is a child of <paramref name="owner"/> (the board's entity), and its intake's queue.</summary>
    public void ObserveBoard(IActorContext owner, IActorRef intake, TimeSpan timeout)
    {
        Listen(owner, owner.System.EventStream, typeof(Observed.RegionEvent), typeof(Observed.JobWaited), typeof(Observed.JobRan), typeof(Observed.JobFinished));
        ObserveQueue(intake, timeout);
    }

    private void Listen(IActorRefFactory owner, Akka.Event.EventStream events, params Type[] kinds)
    {
        var listener = owner.ActorOf(Props.Create(() => new Listener(this)), "metrics");
        foreach (var kind in kinds)
        {
            events.Subscribe(listener, kind);
        }
    }

    private void ObserveQueue(IActorRef intake, TimeSpan timeout) =>
        Registry.AddBeforeCollectCallback(async cancel =>
        {
            try
            {
                var depths = await intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), timeout, cancel);
                foreach (var labels in _queueDepth.GetAllLabelValues())
                {
                    _queueDepth.WithLabels(labels).Set(0);
                }
                foreach (var (module, count) in depths.Queued)
                {
                    _queueDepth.WithLabels(module).Set(count);
                }
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // The intake is restarting: the last depths stay.
            }
        });

    /// <summary>The registry in Prometheus' text format (what <c>/metrics</c> serves).</summary>
    public async Task<string> ExportAsync(CancellationToken cancel)
    {
        using var text = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(text, cancel);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>The board an observed event is about; null for one that is not a board's.</summary>
    private static string? BoardOf(object message) => message switch
    {
        Observed.RegionEvent e => e.Board,
        Observed.JobWaited e => e.Board,
        Observed.JobRan e => e.Board,
        Observed.JobFinished e => e.Board,
        _ => null,
    };

    private void Record(object message)
    {
        if (_board is not null && BoardOf(message) != _board)
        {
            // Another board of the node publishes on the same event stream.
            return;
        }
        if (message is Observed.RegionEvent changed)
        {
            Holds(changed.Partition, changed.State.Status == RegionStatus.Loaded ? changed.State.Module : null);
        }
        switch (message)
        {
            case Observed.RegionEvent { Event: RegionEvents.SwapCompleted done }:
                _swaps.WithLabels(done.Module, "completed").Inc();
                _swapDuration.WithLabels(done.Module).Observe(done.TotalMs / 1000);
                break;
            case Observed.RegionEvent { Event: RegionEvents.SwapFailed failed }:
                _swaps.WithLabels(failed.Module, "failed").Inc();
                break;
            case Observed.RegionEvent { Event: RegionEvents.UpsetDetected upset } region:
                _upsets.WithLabels(region.Partition, upset.Corrected ? "true" : "false").Inc();
                break;
            case Observed.JobWaited waited:
                _jobWait.WithLabels(waited.Module).Observe(waited.Wait.TotalSeconds);
                _tenantWait.WithLabels(waited.Tenant).Observe(waited.Wait.TotalSeconds);
                break;
            case Observed.JobRan ran:
                _runTime.WithLabels(ran.Module).Observe(ran.Ran.TotalSeconds);
                break;
            case Observed.JobFinished finished:
                _finished.WithLabels(finished.Module, finished.State.ToString().ToLowerInvariant()).Inc();
                break;
            case Observed.JournalFailed failed:
                _journalErrors.WithLabels(failed.Writer).Inc();
                break;
        }
    }

    /// <summary>The partition's module is 1, every other module it held 0.</summary>
    private void Holds(string partition, string? module)
    {
        foreach (var labels in _partitionModule.GetAllLabelValues().Where(l => l[0] == partition && l[1] != module))
        {
            _partitionModule.WithLabels(labels).Set(0);
        }
        if (module is not null)
        {
            _partitionModule.WithLabels(partition, module).Set(1);
        }
    }

    private sealed class Listener : UntypedActor
    {
        private readonly DprMetrics _metrics;

        public Listener(DprMetrics metrics) => _metrics = metrics;

        protected override void OnReceive(object message) => _metrics.Record(message);
    }
}

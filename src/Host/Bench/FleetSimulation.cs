using System.Globalization;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench fleet</c>'s boards in modelled time: boards of one partition (the PYNQ-Z2's), each run by the
/// service's own <see cref="SchedulingDriver"/> (as a board's <c>JobDispatcherActor</c> runs it, every accepted
/// job queued); jobs placed by <see cref="FleetPlacement"/> as the fleet intake places them, or round-robin to
/// boards that schedule alone. The loop plays the region managers (a load ends after a swap) and the modules
/// (a job ends after its run time), as <c>dpr bench schedule</c> does for one board.
/// </summary>
internal sealed class FleetSimulation
{
    private static readonly IReadOnlyCollection<ModuleName> Modules = [.. ConvModule.All.Select(m => m.Name)];
    private static readonly PartitionName Partition = new("pr_0");
    private readonly SchedulerOptions _options;
    private readonly TimeSpan? _within;
    private readonly Board[] _boards;
    private readonly Dictionary<string, Board> _byName;
    private readonly PriorityQueue<(Kind Kind, int Index), (DateTimeOffset At, long Seq)> _events = new();
    private readonly Dictionary<JobId, int> _byId = [];
    private ScheduleBenchmark.Arrival[] _arrivals = [];
    private double[] _waits = [];
    private long _seq;
    private int _reconfigurations;
    private int _completed;
    private DateTimeOffset _end;

    /// <param name="within">Fleet placement's latest predicted start for keeping a job on a board serving its module
    /// (<c>ClusterSettings.PlacementWithin</c>); null places round-robin.</param>
    public FleetSimulation(int boards, SchedulerOptions options, TimeSpan? within)
    {
        _options = options;
        _within = within;
        _boards = [.. Enumerable.Range(0, boards).Select(i => new Board($"b{i.ToString("D2", CultureInfo.InvariantCulture)}", options))];
        _byName = _boards.ToDictionary(b => b.Name, StringComparer.Ordinal);
    }

    private enum Kind
    {
        Arrival,
        Free,
        Wake,
    }

    public Outcome Run(ScheduleBenchmark.Arrival[] arrivals)
    {
        _arrivals = arrivals;
        _waits = new double[arrivals.Length];
        for (var i = 0; i < arrivals.Length; i++)
        {
            Push(arrivals[i].At, Kind.Arrival, i);
        }
        for (var b = 0; b < _boards.Length; b++)
        {
            Carry(b, _boards[b].Observe(arrivals[0].At), arrivals[0].At);
        }
        var loads = new BoardReplies.Load[_boards.Length];
        while (_events.TryDequeue(out var e, out var key))
        {
            var now = key.At;
            switch (e.Kind)
            {
                case Kind.Arrival:
                    var a = arrivals[e.Index];
                    int target;
                    if (_within is { } within)
                    {
                        for (var b = 0; b < _boards.Length; b++)
                        {
                            loads[b] = _boards[b].Load();
                        }
                        target = Array.IndexOf(_boards, _byName[FleetPlacement.Choose(a.Module, loads, _options.SwapCost, within)!]);
                    }
                    else
                    {
                        target = e.Index % _boards.Length;
                    }
                    var id = new JobId(new Guid(e.Index, 0, 0, new byte[8]));
                    _byId[id] = e.Index;
                    Carry(target, _boards[target].Accept(new QueuedJob(id, $"tenant-{a.Tenant}", a.Module, now, EstimatedRun: a.Run), now), now);
                    break;
                case Kind.Free:
                    Carry(e.Index, _boards[e.Index].Free(now, () => _completed++), now);
                    _end = now > _end ? now : _end;
                    break;
                case Kind.Wake:
                    Carry(e.Index, _boards[e.Index].Wake(now), now);
                    break;
            }
        }
        if (_completed != arrivals.Length)
        {
            throw new InvalidOperationException($"simulation ended with {_completed} of {arrivals.Length} jobs completed");
        }
        var waits = _waits.Order().ToArray();
        var seconds = (_end - arrivals[0].At).TotalSeconds;
        return new Outcome(arrivals.Length, arrivals.Length / seconds, (double)_reconfigurations / arrivals.Length, waits.Average(), waits[Math.Min(waits.Length - 1, (int)(0.99 * waits.Length))]);
    }

    private void Push(DateTimeOffset at, Kind kind, int index) => _events.Enqueue((kind, index), (at, _seq++));

    private void Carry(int board, IReadOnlyList<DriverCommand> commands, DateTimeOffset now)
    {
        var b = _boards[board];
        foreach (var command in commands)
        {
            switch (command)
            {
                case DriverCommand.Start start:
                    var job = _byId[start.Job.Id];
                    _waits[job] = (now - _arrivals[job].At).TotalMilliseconds;
                    b.Start(start.Job);
                    Push(now + _arrivals[job].Run, Kind.Free, board);
                    break;
                case DriverCommand.Load load:
                    _reconfigurations++;
                    b.BeginLoad(load.Module.Value);
                    Push(now + _options.SwapCost, Kind.Free, board);
                    break;
                case DriverCommand.WakeAt { At: var at } when at > now && b.Wakes.Add(at):
                    Push(at, Kind.Wake, board);
                    break;
                case DriverCommand.WakeAt:
                    break;
                default:
                    throw new InvalidOperationException($"the simulated board never faults or refuses, yet the driver said {command}");
            }
        }
    }

    /// <param name="JobsPerSecond">All jobs over the time from the first arrival until the last completes (the queues' drain included).</param>
    public sealed record Outcome(int Jobs, double JobsPerSecond, double ReconfigurationsPerJob, double MeanWaitMs, double P99WaitMs);

    /// <summary>One board: its driver, its partition (loaded module, a load or a job under way) and its queued jobs' count and work per module, as its intake reports them.</summary>
    private sealed class Board(string name, SchedulerOptions options)
    {
        private readonly SchedulingDriver _driver = new(options, [(Partition, Modules)]);
        private readonly Guid _incarnation = Guid.NewGuid();
        private readonly Dictionary<string, int> _queued = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TimeSpan> _work = new(StringComparer.Ordinal);
        private long _observed;
        private string? _module;
        private string? _loading;
        private QueuedJob? _running;
        private BoardReplies.Load? _load;

        public string Name { get; } = name;

        public SortedSet<DateTimeOffset> Wakes { get; } = [];

        public IReadOnlyList<DriverCommand> Observe(DateTimeOffset now) =>
            _driver.Observe(new RegionObservation(Partition, _incarnation, _observed++, _module is null ? RegionStatus.Empty : RegionStatus.Loaded, _module is null ? null : new ModuleName(_module), now), now);

        public IReadOnlyList<DriverCommand> Accept(QueuedJob job, DateTimeOffset now)
        {
            _queued[job.Module] = _queued.GetValueOrDefault(job.Module) + 1;
            _work[job.Module] = _work.GetValueOrDefault(job.Module) + job.EstimatedRun;
            _load = null;
            return _driver.Accept(job, 0, now);
        }

        public void Start(QueuedJob job)
        {
            _running = job;
            _work[job.Module] -= job.EstimatedRun;
            if (--_queued[job.Module] == 0)
            {
                _queued.Remove(job.Module);
                _work.Remove(job.Module);
            }
            _load = null;
        }

        public void BeginLoad(string module)
        {
            _loading = module;
            _load = null;
        }

        /// <summary>The load or the job under way ended.</summary>
        public IReadOnlyList<DriverCommand> Free(DateTimeOffset now, Action completed)
        {
            _load = null;
            if (_loading is { } module)
            {
                _module = module;
                _loading = null;
                return [.. Observe(now), .. _driver.LoadAnswered(Partition, new ModuleName(module), null, now)];
            }
            var job = _running ?? throw new InvalidOperationException($"board {Name} freed with nothing under way");
            _running = null;
            completed();
            return _driver.Ended(job.Id, now);
        }

        public IReadOnlyList<DriverCommand> Wake(DateTimeOffset now)
        {
            Wakes.Remove(now);
            return _driver.Tick(now);
        }

        /// <summary>As <c>BoardLoads</c> reads a board: a partition loading a module is neither loaded nor empty.</summary>
        public BoardReplies.Load Load() => _load ??= new(
            Name,
            "simulated",
            _module is not null && _loading is null ? [_module] : [],
            1,
            _module is null && _loading is null ? 1 : 0,
            new Dictionary<string, int>(_queued, StringComparer.Ordinal),
            new Dictionary<string, TimeSpan>(_work, StringComparer.Ordinal),
            [],
            []);
    }
}

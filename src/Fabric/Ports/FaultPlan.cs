namespace Dpr.Fabric.Ports;

/// <summary>
/// Deterministic fault injection for the simulated port: faults scripted for given write numbers
/// (1-based) or module names, and/or drawn at a rate from a seeded generator, so every run with the
/// same seed fails the same way. Faults scripted by hand can be listed (<see cref="Pending"/>) and
/// withdrawn (<see cref="Clear"/>) while the port is in use: a running service is injected into.
/// </summary>
public sealed class FaultPlan
{
    private readonly Dictionary<int, PlannedFault> _byWrite = [];
    private readonly Dictionary<string, Queue<PlannedFault>> _byModule = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<PlannedFault> _next = new();
    private readonly Random? _random;
    private readonly double _rate;

    public FaultPlan(int? seed = null, double rate = 0)
    {
        if (rate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "a fault rate is a probability in [0, 1]");
        }
        _random = seed is { } s ? new Random(s) : null;
        _rate = rate;
    }

    /// <summary>No faults. Shared: never add faults to it; give a port its own plan to inject faults later.</summary>
    public static FaultPlan None { get; } = new();

    /// <summary>The <paramref name="write"/>-th write (1-based) of this port fails with <paramref name="fault"/>.</summary>
    public FaultPlan OnWrite(int write, SimulatedFault fault)
    {
        lock (_byWrite)
        {
            _byWrite[write] = new PlannedFault(fault, Write: write);
        }
        return this;
    }

    /// <summary>The next write that starts (whatever it writes) fails with <paramref name="fault"/>; several calls fail as many writes, in order. Safe while the port writes.</summary>
    /// <param name="hangFor">Only for <see cref="SimulatedFault.Hang"/>: stall this long, then write as usual (null: until cancelled).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hangFor"/> is not positive, or given for another fault.</exception>
    public FaultPlan OnNextWrite(SimulatedFault fault, TimeSpan? hangFor = null)
    {
        if (hangFor is { } hang && (fault != SimulatedFault.Hang || hang <= TimeSpan.Zero))
        {
            throw new ArgumentOutOfRangeException(nameof(hangFor), hangFor, $"a hang time is positive and only for {SimulatedFault.Hang}, not {fault}");
        }
        lock (_byWrite)
        {
            _next.Enqueue(new PlannedFault(fault, hangFor));
        }
        return this;
    }

    /// <summary>The next write of <paramref name="module"/> fails with <paramref name="fault"/> (once per call).</summary>
    public FaultPlan OnModule(string module, SimulatedFault fault)
    {
        lock (_byWrite)
        {
            if (!_byModule.TryGetValue(module, out var queue))
            {
                _byModule[module] = queue = new Queue<PlannedFault>();
            }
            queue.Enqueue(new PlannedFault(fault, Module: module));
        }
        return this;
    }

    /// <summary>
    /// The scripted faults no write has hit yet: the next-write faults in the order they will hit, then
    /// those for a write number (ascending), then those for a module. The random ones are not listed.
    /// </summary>
    public IReadOnlyList<PlannedFault> Pending
    {
        get
        {
            lock (_byWrite)
            {
                return [.. _next, .. _byWrite.OrderBy(w => w.Key).Select(w => w.Value), .. _byModule.OrderBy(m => m.Key, StringComparer.OrdinalIgnoreCase).SelectMany(m => m.Value)];
            }
        }
    }

    /// <summary>Withdraws every scripted fault not yet hit (a write under way keeps the one it drew); the random rate stays.</summary>
    /// <returns>The faults withdrawn, as <see cref="Pending"/> listed them.</returns>
    public IReadOnlyList<PlannedFault> Clear()
    {
        lock (_byWrite)
        {
            var withdrawn = Pending;
            _next.Clear();
            _byWrite.Clear();
            _byModule.Clear();
            return withdrawn;
        }
    }

    internal PlannedFault? Next(int write, string module)
    {
        lock (_byWrite)
        {
            if (_byWrite.Remove(write, out var scripted) || _next.TryDequeue(out scripted))
            {
                return scripted;
            }
            if (_byModule.TryGetValue(module, out var queue) && queue.TryDequeue(out var forModule))
            {
                return forModule;
            }
            if (_random is not null && _random.NextDouble() < _rate)
            {
                return new PlannedFault((SimulatedFault)_random.Next(4));
            }
            return null;
        }
    }
}

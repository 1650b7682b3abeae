namespace Dpr.Fabric.Ports;

/// <summary>
/// Deterministic fault injection for the simulated port: faults scripted for given write numbers
/// (1-based) or module names, and/or drawn at a rate from a seeded generator, so every run with the
/// same seed fails the same way.
/// </summary>
public sealed class FaultPlan
{
    private readonly Dictionary<int, SimulatedFault> _byWrite = [];
    private readonly Dictionary<string, Queue<SimulatedFault>> _byModule = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<SimulatedFault> _next = new();
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
            _byWrite[write] = fault;
        }
        return this;
    }

    /// <summary>The next write that starts (whatever it writes) fails with <paramref name="fault"/>; several calls fail as many writes, in order. Safe while the port writes.</summary>
    public FaultPlan OnNextWrite(SimulatedFault fault)
    {
        lock (_byWrite)
        {
            _next.Enqueue(fault);
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
                _byModule[module] = queue = new Queue<SimulatedFault>();
            }
            queue.Enqueue(fault);
        }
        return this;
    }

    internal SimulatedFault? Next(int write, string module)
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
                return (SimulatedFault)_random.Next(4);
            }
            return null;
        }
    }
}

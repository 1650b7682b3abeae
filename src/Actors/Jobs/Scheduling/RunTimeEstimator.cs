using Dpr.Fabric.Simulation;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// A job's run time on its module, for <see cref="QueuedJob.EstimatedRun"/>: modelled from its
/// <see cref="JobSize"/>, then refined per module by the run times measured so far. Pure: no clock, the
/// measurements come in through <see cref="Observe"/>.
/// </summary>
/// <remarks>
/// <para>
/// The model is the simulated board's (src/Fabric): by default the cycles our RTL takes for the job's
/// weight uploads and passes (<see cref="JobSize.ModuleCycles"/>, <see cref="RtlCycleModel"/>, as
/// <c>SimulatedConvModule</c> reports them) at the fabric clock; they already hold the streams, which the
/// module takes at one 64-bit beat a clock, what one HP port carries. With a <see cref="ModuleThroughput"/>
/// given explicitly (the paper's 81.2 / 55.4 / 35.1 GOPS) the module charges 2·MAC / GOPS at its precision
/// instead, and a pass cannot go faster than its streams, at most 800 MB/s each way (one HP port, 64 bits
/// at 100 MHz: docs/hardware.md), so the longer of the two. Either way plus a setup per pass for the
/// register writes <c>ConvDriver</c> makes (10 µs, an assumption the measurements correct).
/// </para>
/// <para>
/// The refinement is a line per module, measured ≈ overhead + factor · modelled, fitted by least squares
/// weighted towards the latest runs (exponential forgetting). One factor alone (time per MAC) cannot
/// serve both kinds of job a module sees: a tiny job's time is all fixed cost (messages, the result's
/// store) and a large one's is the factor; a line fits both. With runs of one size only, the line keeps
/// its factor (1 at first) and takes up the difference as fixed cost, or scales down when runs are faster.
/// </para>
/// </remarks>
/// <param name="throughput">Null (the default): module time from our RTL's cycles; else charged at these GOPS.</param>
/// <param name="clockMHz">The fabric clock the cycles run at (the PYNQ-Z2's 100 MHz).</param>
public sealed class RunTimeEstimator(ModuleThroughput? throughput = null, double streamBytesPerSecond = RunTimeEstimator.HpPortBytesPerSecond, double smoothing = 0.2, double clockMHz = 100)
{
    /// <summary>One AXI HP port, 64 bits at 100 MHz, per direction (docs/hardware.md).</summary>
    public const double HpPortBytesPerSecond = 800e6;

    /// <summary>Register writes of one pass: CIN, COUT, the group's bias, config, LOAD_WEIGHTS, ImgW/H, frames, status, start, nine DMA registers.</summary>
    public static readonly TimeSpan PassSetup = TimeSpan.FromMicroseconds(10);

    /// <summary>The model alone, never refined: <see cref="BoardTime"/>'s.</summary>
    private static readonly RunTimeEstimator Model = new();

    private readonly Dictionary<string, Fit> _fits = new(StringComparer.Ordinal);

    /// <summary>
    /// The board time a request asks for as the model alone says (zero when its shapes describe no job):
    /// the unit of a tenant's open work at admission. No measurement enters it, so it is the same for a
    /// request on every replay of the journal, and it is what a module takes on the board, not on a
    /// machine that simulates one (where the measured runs are slower).
    /// </summary>
    public static TimeSpan BoardTime(JobRequest? request) =>
        request is not null && JobSize.Of(request) is { } size ? TimeSpan.FromSeconds(Model.Modelled(size)) : TimeSpan.Zero;

    /// <summary>What the model alone says, in seconds.</summary>
    public double Modelled(JobSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        var setup = size.Passes * PassSetup.TotalSeconds;
        if (throughput is null)
        {
            return (size.ModuleCycles / (clockMHz * 1e6)) + setup;
        }
        var compute = 2.0 * size.MultiplyAccumulates / (throughput.GopsFor(size.Bits) * 1e9);
        var stream = size.StreamBytes / streamBytesPerSecond;
        return Math.Max(compute, stream) + setup;
    }

    /// <summary>The estimate: the model through this module's fitted line, or the model alone before any run was measured.</summary>
    public TimeSpan Estimate(JobSize size)
    {
        var modelled = Modelled(size);
        var seconds = _fits.TryGetValue(size.Module, out var fit) ? fit.Predict(modelled) : modelled;
        return TimeSpan.FromTicks(Math.Clamp((long)(seconds * TimeSpan.TicksPerSecond), 1, TimeSpan.FromHours(1).Ticks));
    }

    /// <summary>A job of <paramref name="size"/> ran for <paramref name="measured"/> on its module.</summary>
    public void Observe(JobSize size, TimeSpan measured)
    {
        if (measured <= TimeSpan.Zero)
        {
            return;
        }
        if (!_fits.TryGetValue(size.Module, out var fit))
        {
            fit = new Fit(smoothing);
            _fits.Add(size.Module, fit);
        }
        fit.Add(Modelled(size), measured.TotalSeconds);
    }

    /// <summary>Exponentially weighted least squares of y = a + b·x, from weighted means of x, y, x², x·y.</summary>
    private sealed class Fit(double smoothing)
    {
        /// <summary>Below this spread of x (relative to its mean) the slope cannot be told from noise.</summary>
        private const double MinSpread = 0.1;

        private double _x, _y, _xx, _xy;
        private bool _any;
        private double _slope = 1;
        private double _intercept;

        public void Add(double x, double y)
        {
            var w = _any ? smoothing : 1;
            _any = true;
            _x += w * (x - _x);
            _y += w * (y - _y);
            _xx += w * ((x * x) - _xx);
            _xy += w * ((x * y) - _xy);
            var variance = _xx - (_x * _x);
            if (variance > MinSpread * MinSpread * _x * _x)
            {
                var slope = (_xy - (_x * _y)) / variance;
                var intercept = _y - (slope * _x);
                if (slope > 0 && intercept >= 0)
                {
                    (_slope, _intercept) = (slope, intercept);
                    return;
                }
                if (slope > 0 && _xx > 0)
                {
                    // A negative overhead means the fixed cost is too small to see: the line through zero.
                    (_slope, _intercept) = (_xy / _xx, 0);
                    return;
                }
            }
            // One size only: keep the line's slope and meet the mean, by a fixed cost when the runs take
            // longer than the line says, by a smaller factor when they take less.
            var predicted = _slope * _x;
            (_slope, _intercept) = _y >= predicted ? (_slope, _y - predicted) : (_y / _x, 0);
        }

        public double Predict(double x) => _intercept + (_slope * x);
    }
}

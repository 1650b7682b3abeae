using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dpr.Actors.Tests.Jobs;

/// <summary><see cref="JobRequest.Check"/> (bytes scanned) must judge exactly as <see cref="JobRequest.ToJob"/> (the job at native width) and <see cref="JobRequest.ToProblem"/> (decoded).</summary>
public class JobRequestTests
{
    private static readonly string[] Modules = ["conv3x3_int8", "conv3x3_int16", "conv3x3_int32", "conv5x5_int8", "conv5x5_int16", "conv5x5_int32", "conv7x7_int8"];

    private static Gen<JobRequest> Requests =>
        from module in Gen.Elements(Modules)
        from c in Gen.Choose(0, 3)
        from h in Gen.Choose(0, 7)
        from cout in Gen.Choose(1, 3)
        from k in Gen.Elements(3, 5, 4)
        from cin in Gen.Elements(c, c + 1)
        from inputDelta in Gen.Elements(0, 0, 0, -1, 1)
        from bias in Gen.Elements(0, cout, cout + 1)
        from padding in Gen.Elements("same", "valid", "full")
        from seed in Gen.Choose(0, int.MaxValue)
        select Make(module, c, h, cout, k, cin, inputDelta, bias, padding, seed);

    private static JobRequest Make(string module, int c, int h, int cout, int k, int cin, int inputDelta, int bias, string padding, int seed)
    {
        var width = module.EndsWith("int8", StringComparison.Ordinal) ? 1 : module.EndsWith("int16", StringComparison.Ordinal) ? 2 : 4;
        var rng = new Random(seed);
        var input = new byte[Math.Max(0, (1 * c * h * h * width) + inputDelta)];
        var weights = new byte[cout * cin * k * k * width];
        // Random bytes: int16 and int32 may hold values outside the module's precision.
        rng.NextBytes(input);
        rng.NextBytes(weights);
        return new JobRequest("t", module, 1, padding, 2, "requantized", [1, c, h, h], input, [cout, cin, k, k], weights, bias == 0 ? null : new long[bias]);
    }

    private static string Verdict(Func<object> judge)
    {
        try
        {
            judge();
            return "ok";
        }
        catch (ConvolutionException e)
        {
            return e.Field;
        }
    }

    [Property(MaxTest = 500)]
    public Property Check_refuses_exactly_what_running_refuses_naming_the_same_field() =>
        Prop.ForAll(Requests.ToArbitrary(), request =>
        {
            var check = Verdict(() => request.Check());
            var job = Verdict(() => request.ToJob());
            var decode = Verdict(() => request.ToProblem());
            return (check == job && job == decode).Label($"Check: {check}, ToJob: {job}, ToProblem: {decode}");
        });

    [Fact]
    public void Check_names_the_canonical_module()
    {
        var request = Make("conv3x3_int8", 1, 4, 1, 3, 1, 0, 0, "same", 1) with { Module = "conv3x3_8bit" };

        Assert.Equal("conv3x3_int8", request.Check().Module);
    }

    [Theory]
    [InlineData(JobRequest.MaxPriority + 1)]
    [InlineData(JobRequest.MinPriority - 1)]
    [InlineData(int.MaxValue)]
    public void A_priority_out_of_bounds_is_refused_by_the_actors_too_not_only_at_the_http_edge(int priority)
    {
        var request = Make("conv3x3_int8", 1, 4, 1, 3, 1, 0, 0, "same", 1) with { Priority = priority };

        Assert.Equal("priority", Assert.Throws<ConvolutionException>(() => request.Check()).Field);
        Assert.Equal(JobRequest.MaxPriority, (request with { Priority = JobRequest.MaxPriority }).Check().Priority);
    }
}

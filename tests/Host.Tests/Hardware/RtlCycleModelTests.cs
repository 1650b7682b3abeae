using Dpr.Fabric.Convolution;
using Dpr.Fabric.Simulation;
using Dpr.Host.Hardware;

namespace Dpr.Host.Tests.Hardware;

/// <summary>
/// The simulated board's default timing, <see cref="RtlCycleModel"/>, against the RTL itself: every
/// hardware test vector whose streams do not stall, run under Icarus, must take the cycles the model
/// says (pass and weight upload) within 2%.
/// </summary>
public sealed class RtlCycleModelTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("dpr-cycles-");

    [HardwareFact]
    public void Model_matches_the_rtl_cycles_of_every_unstalled_vector()
    {
        foreach (var module in ConvModule.All)
        {
            var cases = HardwareVectors.Cases(module).Where(c => c.Stalls == StreamStalls.None).ToList();
            Assert.Contains(cases, c => c.Problem.InputShape.C > 1);
            var measured = IcarusTestbench.Run(module, cases, _work);

            Assert.Equal(cases.Count, measured.Count);
            foreach (var (c, rtl) in cases.Zip(measured))
            {
                var p = c.Problem;
                var pass = RtlCycleModel.PassCycles(p.Spec, p.InputShape, p.OutputShape.C);
                Assert.True(Math.Abs(pass - rtl.PassCycles) <= 0.02 * rtl.PassCycles,
                    $"{module.Name} case {c.Number} ({c.Description}): model {pass} cycles, RTL {rtl.PassCycles}");
                if (rtl.WeightCycles > 0)
                {
                    var upload = RtlCycleModel.WeightUploadCycles(module, p.InputShape.C);
                    Assert.True(Math.Abs(upload - rtl.WeightCycles) <= 0.02 * rtl.WeightCycles,
                        $"{module.Name} case {c.Number}: model upload {upload} cycles, RTL {rtl.WeightCycles}");
                }
            }
        }
    }

    public void Dispose() => _work.Delete(recursive: true);
}

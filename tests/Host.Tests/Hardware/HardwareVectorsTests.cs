using System.Globalization;
using Dpr.Fabric.Convolution;
using Dpr.Host.Hardware;

namespace Dpr.Host.Tests.Hardware;

public sealed class HardwareVectorsTests
{
    [Fact]
    public void Cases_cover_both_paddings_strides_modes_stalls_and_batches_for_every_module()
    {
        foreach (var module in ConvModule.All)
        {
            var cases = HardwareVectors.Cases(module);
            var specs = cases.Select(c => c.Problem.Spec).ToList();
            foreach (var padding in Enum.GetValues<ConvPadding>())
            {
                foreach (var stride in new[] { 1, 2 })
                {
                    Assert.Contains(specs, s => s.Padding == padding && s.Stride == stride);
                }
            }
            Assert.Contains(specs, s => s.Output == ConvOutputMode.Raw);
            Assert.Contains(specs, s => s.Output == ConvOutputMode.Requantized && s.Shift == 63);
            Assert.Contains(cases, c => c.Stalls == (StreamStalls.Input | StreamStalls.Output));
            Assert.Contains(cases, c => c.Stalls == StreamStalls.None && c.Problem.InputShape.N > 1);
            // The extremes: every input at the precision's minimum, and saturation at both ends.
            Assert.Contains(cases, c => c.Problem.InputMaxAbs == -module.MinValue && c.Problem.WeightMaxAbs == -module.MinValue);
            var saturating = cases.Single(c => c.Description == "saturation both ways");
            var results = ConvReference.Requantized(saturating.Problem);
            Assert.Contains((int)module.MaxValue, results);
            Assert.Contains((int)module.MinValue, results);
            Assert.All(cases, c => Assert.Equal(1, c.Problem.InputShape.C));
        }
    }

    [Fact]
    public void File_holds_the_header_weights_input_and_reference_output_of_every_case()
    {
        var module = ConvModule.Resolve("conv5x5_int32");
        var cases = HardwareVectors.Cases(module);
        using var text = new StringWriter();
        HardwareVectors.Write(text, module, cases, HardwareVectors.DefaultSeed);
        var words = text.ToString().Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal))
            .Select(l => unchecked((long)ulong.Parse(l, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToArray();

        Assert.Equal(cases.Count, words[0]);
        var pos = 1;
        foreach (var c in cases)
        {
            var p = c.Problem;
            Assert.Equal(c.Number, words[pos]);
            Assert.Equal([p.InputShape.W, p.InputShape.H, p.InputShape.N, p.Spec.Stride], words[(pos + 1)..(pos + 5)]);
            Assert.Equal(p.Bias.Span[0], words[pos + 9]);
            Assert.Equal([p.OutputShape.W, p.OutputShape.H], words[(pos + 10)..(pos + 12)]);
            pos += 12 + 25 + (int)p.InputShape.Count;
            var expected = p.Spec.Output == ConvOutputMode.Raw
                ? ConvReference.Raw(p)
                : ConvReference.Requantized(p).Select(v => (long)v).ToArray();
            Assert.Equal(expected, words[pos..(pos + expected.Length)]);
            pos += expected.Length;
        }
        Assert.Equal(words.Length, pos);
    }

    [Fact]
    public void Same_seed_gives_the_same_vectors_and_another_seed_different_ones()
    {
        var module = ConvModule.Resolve("conv3x3_int8");
        string Render(int seed)
        {
            using var text = new StringWriter();
            HardwareVectors.Write(text, module, HardwareVectors.Cases(module, seed), seed);
            return text.ToString();
        }

        Assert.Equal(Render(7), Render(7));
        Assert.NotEqual(Render(7)[80..], Render(8)[80..]);
    }
}

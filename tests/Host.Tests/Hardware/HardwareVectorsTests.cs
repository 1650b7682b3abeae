using System.Globalization;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
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
            // Multi-channel passes: a partial last chunk of PI inputs, a group smaller than PO, and
            // both groups and paddings with more than one input channel.
            var lanes = ConvParallelism.For(module);
            var multi = cases.Where(c => c.Problem.InputShape.C > 1).ToList();
            Assert.Contains(multi, c => c.Problem.InputShape.C % lanes.InputLanes != 0 || lanes.InputLanes == 1);
            Assert.Contains(multi, c => c.Problem.OutputShape.C == lanes.OutputLanes);
            Assert.Contains(multi, c => c.Problem.OutputShape.C < lanes.OutputLanes || lanes.OutputLanes == 1);
            Assert.Contains(multi, c => c.Problem.Spec.Stride == 2);
            Assert.Contains(multi, c => c.Problem.Spec.Padding == ConvPadding.Valid);
            Assert.Contains(multi, c => c.Problem.Spec.Padding == ConvPadding.Same);
            Assert.All(cases, c => Assert.InRange(c.Problem.OutputShape.C, 1, lanes.OutputLanes));
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
            var (input, output) = (p.InputShape, p.OutputShape);
            Assert.Equal(c.Number, words[pos]);
            Assert.Equal([input.W, input.H, input.N, p.Spec.Stride], words[(pos + 1)..(pos + 5)]);
            Assert.Equal([output.W, output.H, input.C, output.C], words[(pos + 9)..(pos + 13)]);
            Assert.Equal(input.C == 1 && output.C == 1 ? 1 : 0, words[pos + 13]);
            pos += 14;
            Assert.Equal(p.Bias.ToArray(), words[pos..(pos + output.C)]);
            pos += output.C;
            Assert.Equal(p.Weights.ToArray().Select(w => (long)w), words[pos..(pos + (int)p.WeightShape.Count)]);
            pos += (int)p.WeightShape.Count;
            // NHWC: channel ch of pixel (n, r, col) follows channel ch - 1.
            var x = p.Input.Span;
            var last = input.Index(input.N - 1, input.C - 1, input.H - 1, input.W - 1);
            Assert.Equal(x[last], words[pos + (int)input.Count - 1]);
            Assert.Equal(x[input.Index(0, input.C - 1, 0, 0)], words[pos + input.C - 1]);
            pos += (int)input.Count;
            var expected = p.Spec.Output == ConvOutputMode.Raw
                ? ConvReference.Raw(p)
                : ConvReference.Requantized(p).Select(v => (long)v).ToArray();
            for (var i = 0; i < expected.Length; i++)
            {
                // word i is (pixel i / Cout, channel i % Cout) of the NHWC output
                var pixel = i / output.C;
                var (n, rest) = (pixel / (output.H * output.W), pixel % (output.H * output.W));
                Assert.Equal(expected[output.Index(n, i % output.C, rest / output.W, rest % output.W)], words[pos + i]);
            }
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

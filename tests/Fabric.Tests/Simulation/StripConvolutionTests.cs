using Dpr.Fabric.Convolution;
using Dpr.Fabric.Simulation;
using Dpr.Fabric.Tests.Convolution;
using FsCheck;
using FsCheck.Fluent;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>The simulated module's strips of rows against the reference, strip boundaries above all.</summary>
public sealed class StripConvolutionTests
{
    private static readonly ConvKernel Kernel = new(1);

    /// <summary>A job run in strips of at most <paramref name="stripElements"/> inputs, its input streamed NHWC; its output bytes back in NCHW, and whether every input byte was read.</summary>
    private static (byte[] Output, bool ReadAll) Strips(ConvProblem problem, int stripElements)
    {
        var input = ConvJob.Encode(problem).Input.ToArray();
        var width = problem.Spec.Module.Bits / 8;
        var nhwc = Permute(input, problem.InputShape, width, toNhwc: true);
        var outWidth = problem.Spec.Output == ConvOutputMode.Raw ? 8 : width;
        var at = 0;
        var output = new List<byte>();
        var cout = problem.OutputShape.C;
        var complete = new StripConvolution(Kernel, stripElements).Run(
            problem.Spec, problem.InputShape, problem.Weights.ToArray(), problem.Bias.IsEmpty ? new long[cout] : problem.Bias.ToArray(),
            row =>
            {
                nhwc.AsSpan(at, row.Length).CopyTo(row);
                at += row.Length;
            },
            bytes =>
            {
                output.AddRange(bytes);
                return true;
            });
        Assert.True(complete);
        var o = problem.OutputShape;
        return (Permute([.. output], o, outWidth, toNhwc: false), at == input.Length);
    }

    /// <summary>NCHW bytes as NHWC (element (n, c, y, x) at ((n·H + y)·W + x)·C + c), or back.</summary>
    private static byte[] Permute(byte[] from, TensorShape shape, int width, bool toNhwc)
    {
        var to = new byte[from.Length];
        for (var i = 0; i < shape.Count; i++)
        {
            var (nc, yx) = Math.DivRem(i, (long)shape.H * shape.W);
            var (n, c) = Math.DivRem(nc, shape.C);
            var (nchw, nhwc) = ((int)(i * width), (int)((((n * shape.H * shape.W) + yx) * shape.C) + c) * width);
            from.AsSpan(toNhwc ? nchw : nhwc, width).CopyTo(to.AsSpan(toNhwc ? nhwc : nchw));
        }
        return to;
    }

    private static byte[] Reference(ConvProblem problem) =>
        problem.Spec.Output == ConvOutputMode.Raw
            ? TensorBytes.EncodeRaw(ConvReference.Raw(problem))
            : TensorBytes.Encode(ConvReference.Requantized(problem), problem.Spec.Module.Bits / 8);

    [Fact]
    public void Strips_equal_the_reference_on_random_single_channel_jobs() => StripsEqualTheReference(maxChannels: 1, tests: 400);

    /// <summary>NHWC rows of several input channels into a group of output channels, as register map 2.0 streams them.</summary>
    [Fact]
    public void Strips_equal_the_reference_on_random_multi_channel_jobs() => StripsEqualTheReference(maxChannels: 5, tests: 200);

    private static void StripsEqualTheReference(int maxChannels, int tests)
    {
        // Budgets from under one output row's inputs (strips of one row) to whole frames.
        var cases =
            from c in ConvCase.Generator(maxChannels, maxSize: 19)
            from budget in Gen.Choose(1, 1500)
            select (Case: c, Budget: budget);

        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true),
            Prop.ForAll(cases.ToArbitrary(), t =>
            {
                var problem = t.Case.Problem();
                var (output, readAll) = Strips(problem, t.Budget);
                return (readAll && output.AsSpan().SequenceEqual(Reference(problem))).Label($"{t.Case} budget={t.Budget}");
            }));
    }

    public static TheoryData<string, int, ConvPadding, ConvOutputMode> Specs()
    {
        var data = new TheoryData<string, int, ConvPadding, ConvOutputMode>();
        foreach (var module in ConvModule.All)
        {
            foreach (var stride in new[] { 1, 2 })
            {
                data.Add(module.Name.Value, stride, ConvPadding.Same, ConvOutputMode.Requantized);
                data.Add(module.Name.Value, stride, ConvPadding.Valid, ConvOutputMode.Raw);
            }
        }
        return data;
    }

    /// <summary>Every strip height from one output row to the whole frame, on a tall frame whose last strip is partial for most of them.</summary>
    [Theory]
    [MemberData(nameof(Specs))]
    public void Every_strip_height_gives_the_reference(string name, int stride, ConvPadding padding, ConvOutputMode mode)
    {
        var module = ConvModule.Resolve(name);
        var random = new Random(stride * 100 + module.Bits + module.KernelSize);
        int Value() => (int)random.NextInt64(module.MinValue, module.MaxValue + 1);
        var k = module.KernelSize;
        var shape = new TensorShape(2, 1, 38, 11);
        var spec = new ConvSpec(module, stride, padding, mode == ConvOutputMode.Raw ? 0 : module.Bits - 2, mode);
        var problem = ConvProblem.Create(
            spec, shape, Enumerable.Range(0, (int)shape.Count).Select(_ => Value()).ToArray(),
            new TensorShape(1, 1, k, k), Enumerable.Range(0, k * k).Select(_ => Value()).ToArray(), new[] { -123456789L });
        var padded = 11 + (2 * spec.Pad);
        var expected = Reference(problem);

        for (var rows = 1; rows <= spec.OutputSize(38); rows++)
        {
            var (output, readAll) = Strips(problem, (((rows - 1) * stride) + k) * padded);

            Assert.True(readAll, $"{rows} rows a strip left input unread");
            Assert.True(expected.AsSpan().SequenceEqual(output), $"{rows} rows a strip");
        }
    }

    [Fact]
    public void A_refused_write_stops_the_run()
    {
        var module = ConvModule.Resolve("conv3x3_int8");
        var problem = ConvProblem.Create(
            new ConvSpec(module, 1, ConvPadding.Same, 0, ConvOutputMode.Requantized), new TensorShape(1, 1, 12, 4), new int[48],
            new TensorShape(1, 1, 3, 3), new int[9]);
        var writes = 0;

        // Strips of two output rows (4 input rows of 6): the second write is refused.
        var complete = new StripConvolution(Kernel, 24).Run(
            problem.Spec, problem.InputShape, new int[9], [0L], row => row.Clear(), bytes => ++writes < 2);

        Assert.False(complete);
        Assert.Equal(2, writes);
    }
}

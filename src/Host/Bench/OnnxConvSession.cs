using Dpr.Fabric.Convolution;
using Microsoft.ML.OnnxRuntime;

namespace Dpr.Host.Bench;

/// <summary>
/// ONNX Runtime running one convolution job, as an independent oracle and as the CPU baseline of
/// <c>dpr bench conv</c>. The input tensor is built once; <see cref="Run"/> is what a benchmark times.
/// </summary>
internal sealed class OnnxConvSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtValue _input;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = [OnnxConvModel.Input];
    private readonly string[] _outputNames = [OnnxConvModel.Output];

    private OnnxConvSession(byte[] model, OrtValue input, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
        _input = input;
    }

    /// <summary>Whether the input went in as uint8 with a zero point of 128, x + 128: the same int8 values exactly.</summary>
    public bool UnsignedInput { get; private init; }

    /// <summary>
    /// An int8 ConvInteger session. Tries int8 × int8 first; a build that refuses it gets uint8 input
    /// with zero point 128, which represents the same int8 values exactly.
    /// </summary>
    public static OnnxConvSession ConvInteger(ConvProblem problem, int threads)
    {
        try
        {
            return ConvInteger(problem, threads, unsignedInput: false);
        }
        catch (OnnxRuntimeException)
        {
            return ConvInteger(problem, threads, unsignedInput: true);
        }
    }

    public static OnnxConvSession ConvInteger(ConvProblem problem, int threads, bool unsignedInput)
    {
        var shape = Dims(problem.InputShape);
        var model = OnnxConvModel.ConvInteger(problem, unsignedInput);
        var input = unsignedInput
            ? OrtValue.CreateTensorValueFromMemory(problem.Input.ToArray().Select(v => (byte)(v + 128)).ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(problem.Input.ToArray().Select(v => (sbyte)v).ToArray(), shape);
        return new OnnxConvSession(model, input, threads) { UnsignedInput = unsignedInput };
    }

    public static OnnxConvSession FloatConv(ConvProblem problem, int threads)
    {
        var input = problem.Input.ToArray().Select(v => (float)v).ToArray();
        return new OnnxConvSession(
            OnnxConvModel.FloatConv(problem), OrtValue.CreateTensorValueFromMemory(input, Dims(problem.InputShape)), threads);
    }

    /// <summary>Runs the model once; the output is disposed at once (a benchmark times only this).</summary>
    public void Run()
    {
        using var outputs = _session.Run(_runOptions, _inputNames, [_input], _outputNames);
    }

    /// <summary>The output as Int64: ConvInteger's Int32 accumulators or Conv's floats, converted exactly.</summary>
    public long[] Outputs()
    {
        using var outputs = _session.Run(_runOptions, _inputNames, [_input], _outputNames);
        var y = outputs[0];
        return y.GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float
            ? y.GetTensorDataAsSpan<float>().ToArray().Select(v => checked((long)v)).ToArray()
            : y.GetTensorDataAsSpan<int>().ToArray().Select(v => (long)v).ToArray();
    }

    public void Dispose()
    {
        _session.Dispose();
        _input.Dispose();
        _runOptions.Dispose();
    }

    private static long[] Dims(TensorShape s) => [s.N, s.C, s.H, s.W];
}

using System.Runtime.InteropServices;
using Dpr.Fabric.Convolution;

namespace Dpr.Host.Bench;

/// <summary>
/// One-node ONNX models of a convolution job, encoded by hand (field numbers from onnx/onnx.proto3):
/// <c>ConvInteger</c> (opset 10) for int8 accumulators and float <c>Conv</c> (opset 11). The weights are
/// initializers so ONNX Runtime may pre-pack them, as it would for a deployed model. Padding is
/// explicit (<c>pads</c>), which is what docs/convolution.md's <c>same</c> means.
/// </summary>
internal static class OnnxConvModel
{
    public const string Input = "x";
    public const string Output = "y";

    // TensorProto.DataType values.
    private const int Float = 1;
    private const int UInt8 = 2;
    private const int Int8 = 3;
    private const int Int32 = 6;

    /// <summary>
    /// ConvInteger over int8 input and weights; with <paramref name="unsignedInput"/> the input is uint8
    /// with a zero point of 128 (x + 128), which represents int8 exactly for builds that lack int8 × int8.
    /// </summary>
    public static byte[] ConvInteger(ConvProblem problem, bool unsignedInput)
    {
        var weights = problem.Weights.ToArray().Select(v => (byte)(sbyte)v).ToArray();
        var node = Node(problem, "ConvInteger", unsignedInput ? [Input, "w", "xz"] : [Input, "w"]);
        var graph = new ProtobufWriter()
            .Message(1, node)
            .String(2, "conv")
            .Message(5, Tensor("w", Int8, problem.WeightShape, weights));
        if (unsignedInput)
        {
            graph.Message(5, Tensor("xz", UInt8, null, [128]));
        }
        graph.Message(11, ValueInfo(Input, unsignedInput ? UInt8 : Int8, problem.InputShape))
            .Message(12, ValueInfo(Output, Int32, problem.OutputShape));
        return Model(graph, 10);
    }

    /// <summary>Float Conv with the job's weights and bias as floats (exact below 2^24).</summary>
    public static byte[] FloatConv(ConvProblem problem)
    {
        var weights = MemoryMarshal.AsBytes(problem.Weights.ToArray().Select(v => (float)v).ToArray().AsSpan()).ToArray();
        var hasBias = !problem.Bias.IsEmpty;
        var node = Node(problem, "Conv", hasBias ? [Input, "w", "b"] : [Input, "w"]);
        var graph = new ProtobufWriter()
            .Message(1, node)
            .String(2, "conv")
            .Message(5, Tensor("w", Float, problem.WeightShape, weights));
        if (hasBias)
        {
            var bias = MemoryMarshal.AsBytes(problem.Bias.ToArray().Select(v => (float)v).ToArray().AsSpan()).ToArray();
            graph.Message(5, Tensor("b", Float, null, bias, problem.WeightShape.N));
        }
        graph.Message(11, ValueInfo(Input, Float, problem.InputShape))
            .Message(12, ValueInfo(Output, Float, problem.OutputShape));
        return Model(graph, 11);
    }

    private static ProtobufWriter Node(ConvProblem problem, string op, string[] inputs)
    {
        var spec = problem.Spec;
        var node = new ProtobufWriter();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }
        node.String(2, Output).String(3, op).String(4, op);
        node.Message(5, Ints("kernel_shape", spec.KernelSize, spec.KernelSize));
        node.Message(5, Ints("strides", spec.Stride, spec.Stride));
        node.Message(5, Ints("pads", spec.Pad, spec.Pad, spec.Pad, spec.Pad));
        return node;
    }

    private static ProtobufWriter Ints(string name, params long[] values)
    {
        // AttributeProto: name = 1, ints = 8, type = 20 (INTS = 7).
        var attribute = new ProtobufWriter().String(1, name);
        foreach (var v in values)
        {
            attribute.Varint(8, v);
        }
        return attribute.Varint(20, 7);
    }

    private static ProtobufWriter Tensor(string name, int type, TensorShape? shape, byte[] raw, int? length = null)
    {
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. No dims: a scalar.
        var tensor = new ProtobufWriter();
        if (shape is { } s)
        {
            tensor.Varint(1, s.N).Varint(1, s.C).Varint(1, s.H).Varint(1, s.W);
        }
        else if (length is { } l)
        {
            tensor.Varint(1, l);
        }
        return tensor.Varint(2, type).String(8, name).Bytes(9, raw);
    }

    private static ProtobufWriter ValueInfo(string name, int type, TensorShape shape)
    {
        // ValueInfoProto{name = 1, type = 2}; TypeProto{tensor_type = 1}; Tensor{elem_type = 1, shape = 2};
        // TensorShapeProto{dim = 1}; Dimension{dim_value = 1}.
        var dims = new ProtobufWriter();
        foreach (var d in new[] { shape.N, shape.C, shape.H, shape.W })
        {
            dims.Message(1, new ProtobufWriter().Varint(1, d));
        }
        var tensorType = new ProtobufWriter().Varint(1, type).Message(2, dims);
        return new ProtobufWriter().String(1, name).Message(2, new ProtobufWriter().Message(1, tensorType));
    }

    private static byte[] Model(ProtobufWriter graph, int opset)
    {
        // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (domain 1, version 2).
        return new ProtobufWriter()
            .Varint(1, 7)
            .String(2, "dpr")
            .Message(7, graph)
            .Message(8, new ProtobufWriter().String(1, "").Varint(2, opset))
            .ToArray();
    }
}

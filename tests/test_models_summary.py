"""summary(): Keras 3's layout and the parameter counts of the textbook model."""
import trainwell as tw
from trainwell import layers


def textbook_model():
    return tw.Sequential([
        layers.Flatten(input_shape=[28, 28]),
        layers.BatchNormalization(),
        layers.Dense(300, activation="elu", kernel_initializer="he_normal"),
        layers.BatchNormalization(),
        layers.Dense(100, activation="elu", kernel_initializer="he_normal"),
        layers.BatchNormalization(),
        layers.Dense(10, activation="softmax"),
    ])


def test_summary_prints_the_textbook_parameter_counts():
    lines = []
    textbook_model().summary(print_fn=lines.append)
    text = lines[0]
    # Hands-On ML ch. 11: 784*4 + 235,500 + 300*4 + 30,100 + 100*4 + 1,010
    assert " Total params: 271,346 (1.04 MB)" in text
    assert " Trainable params: 268,978 (1.03 MB)" in text
    assert " Non-trainable params: 2,368 (9.25 KB)" in text
    assert "(None, 784)" in text and "235,500" in text


def test_summary_rows_name_each_layer_and_type():
    model = textbook_model()
    lines = []
    model.summary(line_length=120, print_fn=lines.append)
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in lines[0]
    assert lines[0].startswith(f'Model: "{model.name}"')


def test_long_names_wrap_inside_their_column_so_the_table_stays_aligned():
    model = tw.Sequential([layers.Input(shape=(3,)), layers.Dense(2, name="a_very_long_layer_name_" * 3)])
    lines = []
    model.summary(print_fn=lines.append)
    table = [line for line in lines[0].splitlines() if line[:1] in "┏┃┡│├└"]
    assert len({len(line) for line in table}) == 1
    assert sum(line.count("a_very_long") for line in table) >= 1

"""A tiny real encoder for tests: random-init BERT with a WordPiece tokenizer trained on the fly."""

from pathlib import Path


def build_tiny_encoder(directory: Path, texts: list[str]) -> Path:
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=2)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(directory, safe_serialization=True)
    fast.save_pretrained(directory)
    return directory


def build_tiny_decoder(directory: Path, texts: list[str], seed: int = 0) -> Path:
    """A random-init Qwen2 causal LM (2 layers, 32 wide) with a byte-level BPE tokenizer trained on ``texts``; like
    Qwen's own tokenizer it has an end-of-text token and no pad token."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
    config = Qwen2Config(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=128,
                         eos_token_id=fast.eos_token_id, tie_word_embeddings=True)
    torch.manual_seed(seed)
    Qwen2ForCausalLM(config).save_pretrained(directory, safe_serialization=True)
    fast.save_pretrained(directory)
    return directory


def build_tiny_mpnet(directory: Path, texts: list[str]) -> Path:
    """A random-init MPNet encoder (all-mpnet-base-v2's architecture, 2 layers, 32 wide) with a WordPiece tokenizer."""
    import torch
    from transformers import MPNetConfig, MPNetModel

    build_tiny_encoder(directory, texts)  # the tokenizer; the BERT weights are replaced below
    for path in directory.glob("*.safetensors"):
        path.unlink()
    from transformers import AutoTokenizer

    vocab = len(AutoTokenizer.from_pretrained(directory))
    config = MPNetConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=130, pad_token_id=0)
    torch.manual_seed(0)
    MPNetModel(config).save_pretrained(directory, safe_serialization=True)
    return directory
